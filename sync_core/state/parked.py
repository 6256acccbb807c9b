"""The parked events as an operator sees them: find, read, release for a redrive, and discard.

``Ledger.park`` and ``Ledger.has_parked`` stay with the ledger, on the consumer's path; this
repository serves the ``dlq`` tools. A parked row stays in ``sync.parked_events`` until its event
has been applied again (``remove``) or an operator discards it, so a crash in the middle of a
redrive loses nothing and later events of the key keep parking behind it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from sync_core.state import key_lock


@dataclass(frozen=True)
class ParkedFilter:
    """Which parked events to select; every field left ``None`` selects all."""

    key: str | None = None
    topic: str | None = None
    reason: str | None = None  # a substring of the reason, any case
    older_than: timedelta | None = None
    newer_than: timedelta | None = None


@dataclass(frozen=True)
class ParkedEvent:
    """One row of ``sync.parked_events``: the message as it arrived, and why it waits."""

    id: int
    topic: str
    partition: int
    offset: int
    key: str | None
    event_id: str | None
    event_type: str | None
    value: bytes | None
    headers: tuple[tuple[str, bytes | None], ...]
    error_class: str
    reason: str
    attempts: int
    parked_at: datetime


@dataclass(frozen=True)
class KeyRef:
    """The unit of a redrive: a key's parked events on one topic, or one keyless event (``lone_id``)."""

    topic: str
    key: str | None
    lone_id: int | None = None


_COLUMNS = (
    'id, topic, partition, "offset", key, event_id::text AS event_id, event_type, value, headers,'
    " error_class, reason, attempts, parked_at"
)
# One static query for every filter: a NULL parameter switches its condition off.
_WHERE = (
    " WHERE (%(key)s::text IS NULL OR key = %(key)s)"
    " AND (%(topic)s::text IS NULL OR topic = %(topic)s)"
    " AND (%(reason)s::text IS NULL OR strpos(lower(reason), lower(%(reason)s)) > 0)"
    " AND (%(older)s::interval IS NULL OR parked_at < now() - %(older)s::interval)"
    " AND (%(newer)s::interval IS NULL OR parked_at >= now() - %(newer)s::interval)"
)
_REDRIVE_ORDER = ' ORDER BY topic, partition, "offset"'
# A parked event's ledger row: it keeps a redelivery of the message from being processed twice.
_DELETE_MARKER = "DELETE FROM sync.processed_events WHERE event_id = %s AND outcome = 'parked'"


class ParkedEvents:
    """Reads and deletes ``sync.parked_events`` and the ledger rows that mark them parked."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def find(self, where: ParkedFilter | None = None, limit: int | None = None) -> list[ParkedEvent]:
        """The parked events that match (all when ``where`` is None), in the order a redrive replays them."""
        query = f"SELECT {_COLUMNS} FROM sync.parked_events{_WHERE}{_REDRIVE_ORDER} LIMIT %(limit)s"
        return self._select(query, {**_params(where), "limit": limit})

    def get(self, parked_id: int) -> ParkedEvent | None:
        """One parked event by its id."""
        rows = self._select(f"SELECT {_COLUMNS} FROM sync.parked_events WHERE id = %(id)s", {"id": parked_id})
        return rows[0] if rows else None

    def of_key(self, ref: KeyRef) -> list[ParkedEvent]:
        """Everything parked under one redrive unit, in (topic, partition, offset) order."""
        if ref.key is None:
            lone = None if ref.lone_id is None else self.get(ref.lone_id)
            return [] if lone is None else [lone]
        query = f"SELECT {_COLUMNS} FROM sync.parked_events WHERE topic = %(topic)s AND key = %(key)s{_REDRIVE_ORDER}"
        return self._select(query, {"topic": ref.topic, "key": ref.key})

    def keys(self, where: ParkedFilter | None = None) -> list[KeyRef]:
        """The redrive units with a matching event, the longest-waiting first."""
        query = (
            "SELECT topic, key, CASE WHEN key IS NULL THEN id END AS lone_id FROM sync.parked_events"
            f"{_WHERE} GROUP BY 1, 2, 3 ORDER BY min(parked_at), 1, 2, 3"
        )
        with self._pool.connection() as conn:
            rows = conn.execute(query, _params(where)).fetchall()
        return [KeyRef(str(topic), key, lone_id) for topic, key, lone_id in rows]

    @contextmanager
    def locked(self, ref: KeyRef) -> Iterator[None]:
        """Hold the unit's key lock (``sync_core.state.key_lock``) while the block redrives it."""
        with key_lock.held(self._pool, ref.topic, ref.key, ref.lone_id):
            yield

    def settled(self, event_id: str) -> bool:
        """True when the event id was recorded with an outcome other than parked."""
        with self._pool.connection() as conn:
            query = "SELECT 1 FROM sync.processed_events WHERE event_id = %s AND outcome <> 'parked'"
            return conn.execute(query, (event_id,)).fetchone() is not None

    def release(self, event: ParkedEvent) -> None:
        """Drop the event's 'parked' ledger row, so processing it again records its new outcome."""
        if event.event_id is not None:
            with self._pool.connection() as conn:
                conn.execute(_DELETE_MARKER, (event.event_id,))

    def restore(self, event: ParkedEvent) -> None:
        """Put back the 'parked' ledger row ``release`` dropped (a redrive that did not finish)."""
        if event.event_id is None:
            return
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO sync.processed_events (event_id, topic, partition, \"offset\", key, event_type,"
                " outcome, reason) VALUES (%s, %s, %s, %s, %s, %s, 'parked', %s) ON CONFLICT (event_id) DO NOTHING",
                (event.event_id, event.topic, event.partition, event.offset, event.key, event.event_type,
                 event.reason),
            )  # fmt: skip

    def remove(self, event: ParkedEvent) -> None:
        """The event has been applied (or skipped) after all: it waits no more."""
        with self._pool.connection() as conn:
            conn.execute("DELETE FROM sync.parked_events WHERE id = %s", (event.id,))

    def discard(self, ids: Sequence[int]) -> int:
        """Delete these parked events and their 'parked' ledger rows in one transaction; returns how many."""
        with self._pool.connection() as conn, conn.transaction():
            deleted = conn.execute(
                "DELETE FROM sync.parked_events WHERE id = ANY(%s) RETURNING event_id::text", (list(ids),)
            ).fetchall()
            event_ids = [row[0] for row in deleted if row[0] is not None]
            markers = "DELETE FROM sync.processed_events WHERE event_id = ANY(%s::uuid[]) AND outcome = 'parked'"
            conn.execute(markers, (event_ids,))
        return len(deleted)

    def by_reason(self, topics: Sequence[str]) -> list[tuple[str, int, datetime]]:
        """(reason, count, oldest parked_at) of the events parked on ``topics``, the most common first:
        one aggregate, no message read (status and the console's overview ask it often)."""
        query = (
            "SELECT reason, count(*), min(parked_at) FROM sync.parked_events WHERE topic = ANY(%s)"
            ' GROUP BY reason ORDER BY count(*) DESC, reason COLLATE "C"'
        )
        with self._pool.connection() as conn:
            rows = conn.execute(query, (list(topics),)).fetchall()
        return [(str(reason), int(count), oldest) for reason, count, oldest in rows]

    def _select(self, query: str, params: dict[str, Any]) -> list[ParkedEvent]:
        with self._pool.connection() as conn:
            rows = conn.cursor(row_factory=dict_row).execute(query, params).fetchall()
        return [_event(row) for row in rows]


def _params(where: ParkedFilter | None) -> dict[str, Any]:
    where = where or ParkedFilter()
    return {"key": where.key, "topic": where.topic, "reason": where.reason,
            "older": where.older_than, "newer": where.newer_than}  # fmt: skip


def _event(row: dict[str, Any]) -> ParkedEvent:
    headers = row["headers"] if isinstance(row["headers"], list) else json.loads(row["headers"])
    value = None if row["value"] is None else bytes(row["value"])
    pairs = tuple((str(k), None if v is None else bytes.fromhex(v)) for k, v in headers)
    return ParkedEvent(**{**row, "value": value, "headers": pairs})
