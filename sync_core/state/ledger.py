"""The processed-events ledger, the pushed-state hashes (X1) and the parked events."""

from __future__ import annotations

import json
from collections.abc import Sequence

from psycopg_pool import ConnectionPool

from sync_core.outcome import Kind, Outcome, Source


class Ledger:
    """Everything that makes a repeated message a no-op, in one repository."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def seen(self, event_id: str) -> bool:
        """True when the event id was processed (applied, skipped or parked) before."""
        with self._pool.connection() as conn:
            row = conn.execute("SELECT 1 FROM sync.processed_events WHERE event_id = %s", (event_id,))
            return row.fetchone() is not None

    def seen_or_parked(self, event_id: str, topic: str, key: str | None) -> tuple[bool, bool]:
        """(event id processed before, key has a parked event on the topic), in one round trip."""
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT EXISTS (SELECT 1 FROM sync.processed_events WHERE event_id = %s),"
                " EXISTS (SELECT 1 FROM sync.parked_events WHERE topic = %s AND key = %s)",
                (event_id, topic, key),
            ).fetchone()
        assert row is not None
        return bool(row[0]), bool(row[1])

    def pushed_hash(self, sa_resource: str) -> str | None:
        """The hash of what we last pushed to this SA resource, if anything."""
        with self._pool.connection() as conn:
            row = conn.execute("SELECT hash FROM sync.pushed_state WHERE sa_resource = %s", (sa_resource,)).fetchone()
            return None if row is None else str(row[0])

    def has_parked(self, topic: str, key: str | None) -> bool:
        """True when this key has a parked event on the topic: later events must wait behind it."""
        if key is None:
            return False
        with self._pool.connection() as conn:
            row = conn.execute("SELECT 1 FROM sync.parked_events WHERE topic = %s AND key = %s LIMIT 1", (topic, key))
            return row.fetchone() is not None

    def record(self, source: Source, outcome: Outcome, *, replace_existing: bool = False) -> bool:
        """Store the outcome and the hashes it pushed in one transaction.

        Returns False when another worker recorded the same event id first. ``replace_existing``
        (a forced replay) overwrites an earlier outcome of the same event id instead.
        """
        with self._pool.connection() as conn, conn.transaction():
            if replace_existing:
                conn.execute("DELETE FROM sync.processed_events WHERE event_id = %s", (outcome.event_id,))
            inserted = conn.execute(
                "INSERT INTO sync.processed_events (event_id, topic, partition, \"offset\", key,"
                " event_type, outcome, reason, sa_calls) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (event_id) DO NOTHING",
                (outcome.event_id, source.topic, source.partition, source.offset, source.key,
                 outcome.event_type, outcome.kind.value, _reason(outcome), outcome.sa_calls),
            ).rowcount  # fmt: skip
            conn.cursor().executemany(
                "INSERT INTO sync.pushed_state (sa_resource, hash) VALUES (%s, %s) ON CONFLICT"
                " (sa_resource) DO UPDATE SET hash = EXCLUDED.hash, pushed_at = now()",
                list(outcome.pushed.items()),
            )
            return inserted == 1

    def park(
        self,
        source: Source,
        outcome: Outcome,
        *,
        value: bytes | None,
        headers: Sequence[tuple[str, bytes | None]],
        error_class: str,
    ) -> None:
        """Keep the message with its reason; record its event id, if it has one, as parked."""
        assert outcome.kind is Kind.PARKED
        with self._pool.connection() as conn, conn.transaction():
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


def _reason(outcome: Outcome) -> str | None:
    if outcome.rule and outcome.reason:
        return f"{outcome.reason} ({outcome.rule})"
    return outcome.reason


def _headers_json(headers: Sequence[tuple[str, bytes | None]]) -> str:
    return json.dumps([[k, None if v is None else v.hex()] for k, v in headers])
