"""The processed-events ledger, the pushed-state hashes (X1) and the parked events: the facts admission decides on."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from typing import Any
from uuid import UUID
from weakref import WeakKeyDictionary

import psycopg
from psycopg_pool import ConnectionPool

from sync_core.outcome import Kind, Outcome, Source
from sync_core.pipeline.admission import NOTHING_KNOWN, Prior
from sync_core.state import key_lock
from sync_core.state.coalesced import Coalesced


class Ledger:
    """Everything that makes a repeated message a no-op, in one repository.

    It remembers the hash it last recorded for each SA resource (up to ``memo_size`` of them). A
    pushed content that differs from that memo is pushed without asking the database: pushing
    PICS's values is always correct, the check only saves a call. A content equal to the memo is
    confirmed in the database, since another process may have pushed something else since.
    """

    def __init__(self, pool: ConnectionPool, *, memo_size: int = 100_000) -> None:
        self._pool = pool
        self._memo: OrderedDict[str, str] = OrderedDict()
        self._memo_size = memo_size
        self._lock = threading.Lock()
        self._held: Coalesced[str, str] = Coalesced(self._read_held)  # X1's question, one read for the asked at once

    def prior(self, event_id: str, topic: str, key: str | None) -> Prior:
        """What the ledger knows of one delivery (``sync_core.pipeline.admission``), in one round trip."""
        if _uuid(event_id) is None:
            return NOTHING_KNOWN
        with self._pool.connection() as conn:
            row = _cursor(conn).execute(_PRIOR, (event_id, topic, key)).fetchone()
        assert row is not None
        return Prior(None if row[0] is None else Kind(row[0]), parked_ahead=bool(row[1]))

    def priors(self, events: Sequence[tuple[str, str, str | None]]) -> dict[str, Prior]:
        """``prior`` of each (event id, topic, key), in one round trip per 10,000: a poll's or a range's.

        An id that is no UUID has no entry (the pipeline asks for it alone, and nothing is known).
        """
        ids = {event_id: parsed for event_id, _topic, _key in events if (parsed := _uuid(event_id)) is not None}
        asked = [(ids[event_id], topic, key) for event_id, topic, key in events if event_id in ids]
        found: dict[UUID, Prior] = {}
        with self._pool.connection() as conn:
            for start in range(0, len(asked), 10_000):
                columns = [list(column) for column in zip(*asked[start : start + 10_000], strict=True)]
                for parsed, outcome, parked in conn.execute(_PRIORS, columns).fetchall():
                    found[parsed] = Prior(None if outcome is None else Kind(outcome), parked_ahead=bool(parked))
        return {event_id: found[parsed] for event_id, parsed in ids.items() if parsed in found}

    def holding(self, wanted: Mapping[str, str]) -> set[str]:
        """X1: the resources of ``wanted`` whose last push had the wanted hash, in one round trip."""
        with self._lock:
            unsure = [r for r, digest in wanted.items() if self._memo.get(r, digest) == digest]
        if not unsure:
            return set()
        stored = self._held.ask(unsure)
        self._remember(stored)
        return {resource for resource in unsure if stored.get(resource) == wanted[resource]}

    def _read_held(self, resources: list[str]) -> dict[str, str]:
        with self._pool.connection() as conn:
            return dict(_cursor(conn).execute(_HELD, (resources,)).fetchall())

    def _remember(self, hashes: Mapping[str, str]) -> None:
        with self._lock:
            for resource, digest in hashes.items():
                self._memo[resource] = digest
                self._memo.move_to_end(resource)
            while len(self._memo) > self._memo_size:
                self._memo.popitem(last=False)

    def record(self, source: Source, outcome: Outcome, *, replace_existing: bool = False) -> bool:
        """Store the outcome and the hashes it pushed, atomically (one statement, one round trip).

        Returns False when another worker recorded the same event id first; then the hashes are not
        written either (that copy's SA writes may be older than what the key's later events pushed
        since, and ``sync.pushed_state`` must not agree with them). ``replace_existing``
        (a forced replay) overwrites an earlier outcome of the same event id instead.
        """
        with self._pool.connection() as conn, conn.transaction() if replace_existing else nullcontext():
            if replace_existing:
                conn.execute("DELETE FROM sync.processed_events WHERE event_id = %s", (outcome.event_id,))
            inserted = _cursor(conn).execute(
                _RECORD,
                (outcome.event_id, source.topic, source.partition, source.offset, source.key, outcome.event_type,
                 outcome.kind.value, _reason(outcome), outcome.sa_calls, json.dumps(dict(outcome.pushed))),
            ).fetchone()  # fmt: skip
        if inserted is None or inserted[0] != 1:
            return False
        self._remember(outcome.pushed)
        return True

    def park(
        self,
        source: Source,
        outcome: Outcome,
        *,
        value: bytes | None,
        headers: Sequence[tuple[str, bytes | None]],
        error_class: str,
        behind: bool = False,
        key_held: bool = False,
    ) -> bool:
        """Keep the message with its reason; record its event id, if it has one, as parked.

        Under its key's lock (``sync_core.state.key_lock``), unless the caller holds it (``key_held``: a
        redrive). ``behind``: it parks because an earlier event of its key is parked; when none is
        parked any more, nothing is written and False returned (the event is the head of its key).
        """
        assert outcome.kind is Kind.PARKED
        with self._pool.connection() as conn, conn.transaction():
            if source.key is not None and not key_held:
                key_lock.lock(conn, source.topic, source.key)
            if behind and not _parked_ahead(conn, source):
                return False
            conn.execute(
                "INSERT INTO sync.parked_events (topic, partition, \"offset\", key, event_id, event_type,"
                " value, headers, error_class, reason) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (topic, partition, \"offset\") DO UPDATE"
                " SET attempts = sync.parked_events.attempts + 1, reason = EXCLUDED.reason,"
                " error_class = EXCLUDED.error_class",
                (source.topic, source.partition, source.offset, source.key, outcome.event_id,
                 outcome.event_type, value, _headers_json(headers), error_class, _reason(outcome)),
            )  # fmt: skip
            if outcome.event_id is not None:
                conn.execute(
                    "INSERT INTO sync.processed_events (event_id, topic, partition, \"offset\", key,"
                    " event_type, outcome, reason) VALUES (%s, %s, %s, %s, %s, %s, 'parked', %s)"
                    " ON CONFLICT (event_id) DO NOTHING",
                    (outcome.event_id, source.topic, source.partition, source.offset, source.key,
                     outcome.event_type, _reason(outcome)),
                )  # fmt: skip
        return True


def _parked_ahead(conn: psycopg.Connection[Any], source: Source) -> bool:
    """True when another event of the source's key is parked on its topic."""
    row = conn.execute(_AHEAD, (source.topic, source.key, source.partition, source.offset)).fetchone()
    return bool(row and row[0])


_AHEAD = """
SELECT EXISTS (SELECT 1 FROM sync.parked_events
               WHERE topic = %s AND key = %s AND NOT (partition = %s AND "offset" = %s))
"""
_HELD = "SELECT sa_resource, hash FROM sync.pushed_state WHERE sa_resource = ANY(%s)"

# The outcome and its pushed-state hashes in one statement: both or neither, the hashes only when the
# event's row was inserted (joined to ``recorded``, which is empty on a conflict). They travel as one
# JSON object: psycopg dumps two text arrays at a fifth of the statement's CPU.
_RECORD = """
WITH recorded AS (
    INSERT INTO sync.processed_events (event_id, topic, partition, "offset", key, event_type, outcome, reason, sa_calls)
    VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
    ON CONFLICT (event_id) DO NOTHING
    RETURNING 1
), hashes AS (
    INSERT INTO sync.pushed_state (sa_resource, hash)
    SELECT pushed.key, pushed.value FROM json_each_text(%s::json) AS pushed CROSS JOIN recorded
    ON CONFLICT (sa_resource) DO UPDATE SET hash = EXCLUDED.hash, pushed_at = now()
)
SELECT count(*) FROM recorded
"""


# One delivery's prior: its event id's outcome, and whether its key waits behind a parked event.
_PRIOR = """
SELECT (SELECT outcome FROM sync.processed_events WHERE event_id = %s),
       EXISTS (SELECT 1 FROM sync.parked_events WHERE topic = %s AND key = %s)
"""

# The same for a batch: one row per (event id, topic, key) asked.
_PRIORS = """
SELECT e.id, p.outcome,
       EXISTS (SELECT 1 FROM sync.parked_events k WHERE k.topic = e.topic AND k.key = e.key)
FROM unnest(%s::uuid[], %s::text[], %s::text[]) AS e(id, topic, key)
LEFT JOIN sync.processed_events p ON p.event_id = e.id
"""


# A cursor kept for each pooled connection, for the statements every event makes: psycopg builds a
# new cursor, with its own adapters, for each ``Connection.execute``, which cost a sixth of a record.
# A pooled connection serves one thread at a time, and so does its cursor.
_CURSORS: WeakKeyDictionary[psycopg.Connection[Any], psycopg.Cursor[Any]] = WeakKeyDictionary()


def _cursor(conn: psycopg.Connection[Any]) -> psycopg.Cursor[Any]:
    cursor = _CURSORS.get(conn)
    if cursor is None or cursor.closed:
        cursor = _CURSORS[conn] = conn.cursor()
    return cursor


def _uuid(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None


def _reason(outcome: Outcome) -> str | None:
    if outcome.rule and outcome.reason:
        return f"{outcome.reason} ({outcome.rule})"
    return outcome.reason


def _headers_json(headers: Sequence[tuple[str, bytes | None]]) -> str:
    return json.dumps([[k, None if v is None else v.hex()] for k, v in headers])
