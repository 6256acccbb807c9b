"""One PostgreSQL advisory lock per key of the parked events: a key's redrive and its parks never interleave.

A redrive holds the lock of its key for the whole key (``consumers.ops.redrive``), so two redrives of
one key (a double click, the console and the CLI at once) run one after the other, the second reading
what the first left. ``Ledger.park`` takes it for its transaction, and a park *behind* an earlier event
of the key first checks, under the lock, that one is still parked. So a live event that admission
found behind a parked one either parks while the redrive has not yet read the key (the redrive's read
then finds it), or parks behind what the redrive left parked, or, when the redrive settled the whole
key meanwhile, is the key's head and is processed: never parked with nothing ahead of it.

A transaction-level lock: released by commit, or by the database when a crashed process's connection
drops. Keyless parked events have no order to keep; a redrive locks each by its id.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

_LOCK = "SELECT pg_advisory_xact_lock(hashtext(%s), hashtext(%s))"


def lock(conn: psycopg.Connection[Any], topic: str, key: str | None, lone_id: int | None = None) -> None:
    """Take the key's lock in ``conn``'s transaction (a keyless event's: ``lone_id``), waiting for its holder."""
    if key is None:
        conn.execute(_LOCK, (f"parked lone {topic}", str(lone_id)))
    else:
        conn.execute(_LOCK, (f"parked key {topic}", key))


@contextmanager
def held(pool: ConnectionPool, topic: str, key: str | None, lone_id: int | None = None) -> Iterator[None]:
    """Hold the key's lock while the block runs, on a connection of its own."""
    with pool.connection() as conn, conn.transaction():
        lock(conn, topic, key, lone_id)
        yield
