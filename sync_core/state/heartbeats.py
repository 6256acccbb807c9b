"""Consumer heartbeats: the row each running consumer rewrites in ``sync.consumer_heartbeats``.

A consumer's circuit breaker, unfinished work and each partition's commit point live only in its
process; the heartbeat puts them where ``pics-sync status`` can read them (``partitions``: a jsonb
list, migration 011). Ages are measured by the database's clock, so the hosts'
clocks need not agree.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool


@dataclass(frozen=True)
class PartitionBeat:
    """One assigned partition as its consumer reports it; ``stuck_s`` > 0: its commit point has not moved
    for that long while events were pending on it."""

    topic: str
    partition: int
    commit_at: int | None  # None: nothing polled from it since it was assigned
    pending: int = 0
    oldest_s: float = 0.0
    stuck_s: float = 0.0


@dataclass(frozen=True)
class Beat:
    """What a consumer reports of itself."""

    member_id: str
    group_id: str
    side: str  # push or pull
    circuit: str  # sync_core.smart_assessor.circuit.State's value
    pending: int  # events polled and not yet finished
    partitions: tuple[PartitionBeat, ...] = ()


@dataclass(frozen=True)
class Heartbeat:
    """A consumer's last report; ``age`` is how long ago it came."""

    member_id: str
    group_id: str
    side: str
    circuit: str
    pending: int
    started_at: datetime
    updated_at: datetime
    stopped_at: datetime | None
    age: timedelta
    partitions: tuple[PartitionBeat, ...] = ()

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Heartbeat:
        """The heartbeat from its database row."""
        partitions = tuple(PartitionBeat(**p) for p in row.pop("partitions") or ())
        return cls(**row, partitions=partitions)


_UPSERT = (
    "INSERT INTO sync.consumer_heartbeats (member_id, group_id, side, circuit, pending, partitions)"
    " VALUES (%(member_id)s, %(group_id)s, %(side)s, %(circuit)s, %(pending)s, %(partitions)s::jsonb)"
    " ON CONFLICT (member_id) DO UPDATE SET group_id = EXCLUDED.group_id, side = EXCLUDED.side,"
    " circuit = EXCLUDED.circuit, pending = EXCLUDED.pending, partitions = EXCLUDED.partitions,"
    " updated_at = now(), stopped_at = NULL"
)
_SELECT = (
    "SELECT member_id, group_id, side, circuit, pending, partitions, started_at, updated_at, stopped_at,"
    " now() - updated_at AS age FROM sync.consumer_heartbeats"
    " WHERE group_id = ANY(%s) AND updated_at >= now() - %s::interval ORDER BY group_id, updated_at DESC"
)


class Heartbeats:
    """Writes and reads ``sync.consumer_heartbeats``."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def beat(self, beat: Beat) -> None:
        """Record the consumer's state as of now."""
        with self._pool.connection() as conn:
            conn.execute(_UPSERT, {**asdict(beat), "partitions": json.dumps(asdict(beat)["partitions"])})

    def stopped(self, member_id: str) -> None:
        """The consumer stopped cleanly: its row stays, marked, so status can tell a stop from a death."""
        with self._pool.connection() as conn:
            conn.execute("UPDATE sync.consumer_heartbeats SET stopped_at = now() WHERE member_id = %s", (member_id,))

    def prune(self, older_than: timedelta) -> int:
        """Delete the rows of consumers not heard of for ``older_than``; returns how many."""
        with self._pool.connection() as conn:
            query = "DELETE FROM sync.consumer_heartbeats WHERE updated_at < now() - %s::interval"
            return conn.execute(query, (older_than,)).rowcount

    def of_groups(self, groups: Sequence[str], within: timedelta) -> list[Heartbeat]:
        """The consumers of these groups heard of within ``within``, newest first in each group."""
        with self._pool.connection() as conn:
            rows = conn.cursor(row_factory=dict_row).execute(_SELECT, (list(groups), within)).fetchall()
        return [Heartbeat.from_row(row) for row in rows]
