"""The creation guard: one link-or-create of a PICS record at a time, with an intent row.

A transaction-level advisory lock on (entity, PICS id) serialises workers and processes; it is
released by commit, or by the database when a crashed process's connection drops. The intent row
is committed on its own, so it outlives a crash and tells an operator a create may be unlinked.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from psycopg_pool import ConnectionPool


class DatabaseCreationGuard:
    """Implements ``CreationGuard`` on PostgreSQL."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    @contextmanager
    def guard(self, entity: str, pics_id: str) -> Iterator[None]:
        """Hold the lock for (entity, pics_id) while the block searches SA and creates."""
        with self._pool.connection() as lock, lock.transaction():
            lock.execute("SELECT pg_advisory_xact_lock(hashtext(%s), hashtext(%s))", (entity, pics_id))
            self._intend(entity, pics_id)
            yield
            self._done(entity, pics_id)

    def _intend(self, entity: str, pics_id: str) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO sync.create_intents (entity, pics_id) VALUES (%s, %s)"
                " ON CONFLICT (entity, pics_id) DO UPDATE"
                " SET attempts = sync.create_intents.attempts + 1, started_at = now()",
                (entity, pics_id),
            )

    def _done(self, entity: str, pics_id: str) -> None:
        with self._pool.connection() as conn:
            conn.execute("DELETE FROM sync.create_intents WHERE entity = %s AND pics_id = %s", (entity, pics_id))
