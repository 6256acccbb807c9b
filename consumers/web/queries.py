"""The console's read-only SQL: the ledger's counts, the parked events and a learner's history (also read by
``pics-sync learner``, through ``consumers.ops.learner_view``).

Reads only; every write the console causes goes through the same code as ``pics-sync dlq``. Rows
carry ids, event types, outcomes and reasons: no field of a learner's record, and no parked
message's bytes or headers (``sync_core.state.parked`` loads those, for a redrive).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

RECENT = timedelta(minutes=5)  # the window the overview's rates are measured over


@dataclass(frozen=True)
class OutcomeCount:
    """How many events the ledger holds with one outcome, in all and within ``RECENT``."""

    outcome: str
    total: int
    recent: int

    @property
    def per_minute(self) -> float:
        """The recent rate."""
        return self.recent / (RECENT.total_seconds() / 60)


@dataclass(frozen=True)
class LedgerRow:
    """One processed event of a learner."""

    processed_at: datetime
    topic: str
    partition: int
    offset: int
    event_id: str
    event_type: str
    outcome: str
    reason: str | None
    sa_calls: int


@dataclass(frozen=True)
class Link:
    """A PICS record's SA id."""

    entity: str
    pics_id: str
    sa_id: str
    linked_at: datetime


def outcome_counts(pool: ConnectionPool) -> dict[str, OutcomeCount]:
    """Outcome → its count in the ledger (every consumer's), with the last ``RECENT`` apart."""
    query = (
        "SELECT outcome, count(*), count(*) FILTER (WHERE processed_at >= now() - %s::interval)"
        " FROM sync.processed_events GROUP BY outcome"
    )
    with pool.connection() as conn:
        rows = conn.execute(query, (RECENT,)).fetchall()
    return {str(outcome): OutcomeCount(str(outcome), int(total), int(recent)) for outcome, total, recent in rows}


@dataclass(frozen=True)
class ParkedRow:
    """A parked event as the Parked page lists it: where it came from and why it waits, not what it holds."""

    id: int
    topic: str
    partition: int
    offset: int
    key: str | None
    event_type: str | None
    reason: str
    attempts: int
    parked_at: datetime


def parked_rows(pool: ConnectionPool, key: str | None, reason: str | None, limit: int) -> list[ParkedRow]:
    """The first ``limit`` parked events of ``key`` (any when None) whose reason holds ``reason`` (any case),
    in the order a redrive replays them (as ``pics-sync dlq list``)."""
    query = (
        'SELECT id, topic, partition, "offset" AS offset, key, event_type, reason, attempts, parked_at'
        " FROM sync.parked_events WHERE (%(key)s::text IS NULL OR key = %(key)s)"
        " AND (%(reason)s::text IS NULL OR strpos(lower(reason), lower(%(reason)s)) > 0)"
        ' ORDER BY topic, partition, "offset" LIMIT %(limit)s'
    )
    return [ParkedRow(**row) for row in _rows(pool, query, {"key": key, "reason": reason, "limit": limit})]


def parked_count(pool: ConnectionPool, key: str) -> int:
    """How many events of ``key`` are parked."""
    with pool.connection() as conn:
        row = conn.execute("SELECT count(*) FROM sync.parked_events WHERE key = %s", (key,)).fetchone()
    return int(row[0]) if row else 0


def ledger_of(pool: ConnectionPool, key: str, limit: int = 200) -> list[LedgerRow]:
    """The newest ``limit`` events of a key (the Learner Ident on the learner topics), newest first."""
    query = (
        'SELECT processed_at, topic, partition, "offset" AS offset, event_id::text AS event_id, event_type,'
        " outcome, reason, sa_calls FROM sync.processed_events WHERE key = %s"
        ' ORDER BY processed_at DESC, "offset" DESC LIMIT %s'
    )
    return [LedgerRow(**row) for row in _rows(pool, query, (key, limit))]


def newest_per_topic(pool: ConnectionPool, key: str) -> list[LedgerRow]:
    """The newest event of a key on each topic it has events on (a learner's pushed and its pulled), by topic."""
    query = (
        'SELECT DISTINCT ON (topic) processed_at, topic, partition, "offset" AS offset, event_id::text AS event_id,'
        " event_type, outcome, reason, sa_calls FROM sync.processed_events WHERE key = %s"
        ' ORDER BY topic, processed_at DESC, "offset" DESC'
    )
    return [LedgerRow(**row) for row in _rows(pool, query, (key,))]


def last_event_of(pool: ConnectionPool, key: str, event_types: Collection[str]) -> LedgerRow | None:
    """The newest event of a key whose type is one of ``event_types``, if any."""
    query = (
        'SELECT processed_at, topic, partition, "offset" AS offset, event_id::text AS event_id, event_type,'
        " outcome, reason, sa_calls FROM sync.processed_events WHERE key = %s AND event_type = ANY(%s)"
        ' ORDER BY processed_at DESC, "offset" DESC LIMIT 1'
    )
    rows = _rows(pool, query, (key, list(event_types)))
    return LedgerRow(**rows[0]) if rows else None


def learner_links(pool: ConnectionPool, learner_ident: str) -> list[Link]:
    """The learner's SA id, if it is linked."""
    return links_of(pool, [("learner", learner_ident)])


def links_of(pool: ConnectionPool, records: Sequence[tuple[str, str]]) -> list[Link]:
    """The SA ids of those of ``records`` (entity, PICS id) that are linked, in their order."""
    if not records:
        return []
    entities, ids = zip(*records, strict=True)
    query = (
        "SELECT l.entity, l.pics_id, l.sa_id, l.linked_at FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY"
        " AS r(entity, pics_id, n) JOIN sync.links l ON l.entity = r.entity AND l.pics_id = r.pics_id ORDER BY r.n"
    )
    return [Link(**row) for row in _rows(pool, query, (list(entities), list(ids)))]


def _rows(pool: ConnectionPool, query: str, params: tuple[Any, ...] | dict[str, Any]) -> list[dict[str, Any]]:
    with pool.connection() as conn:
        return conn.cursor(row_factory=dict_row).execute(query, params).fetchall()
