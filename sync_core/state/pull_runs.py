"""Daily pull runs: one row a run, with the checkpoint a crashed run resumes from.

A run's id also makes its pulled events' ids (``sync_core.pull.reads.event_id``), and the row counts
the items it dropped (P14) by reason, a reason naming the item and SA field, never a value.

Its scope says what ran: ``daily``, ``learner:<ident>`` (a refresh's pull), or ``reconcile:…`` (a
``pics-sync reconcile`` run, ``consumers.ops.reconcile``), whose row counts reconcile requests where a
pull counts learners (``learners_eligible``: to send, ``learners_read`` and ``events``: sent) and whose
checkpoint is the last record sent, ``<entity>:<id>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

# Adds per-reason counts to the run's, in one statement (no read-modify-write between writers).
_ADD_DROPPED = """
    UPDATE sync.pull_runs SET items_dropped = items_dropped + %(count)s,
        dropped_reasons = (
            SELECT coalesce(jsonb_object_agg(reason, total), '{}'::jsonb) FROM (
                SELECT key AS reason, sum(value::int) AS total FROM (
                    SELECT * FROM jsonb_each_text(dropped_reasons)
                    UNION ALL SELECT * FROM jsonb_each_text(%(reasons)s)
                ) counts GROUP BY key
            ) summed
        )
    WHERE id = %(id)s
"""


class PullRuns:
    """Reads and writes ``sync.pull_runs``."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def start(self, run_date: date, scope: str, eligible: int) -> int:
        """Record a new run; returns its id."""
        with self._pool.connection() as conn:
            row = conn.execute(
                "INSERT INTO sync.pull_runs (run_date, scope, learners_eligible) VALUES (%s, %s, %s) RETURNING id",
                (run_date, scope, eligible),
            ).fetchone()
            assert row is not None
            return int(row[0])

    def _latest(self, run_date: date, scope: str, *, succeeded: bool) -> dict[str, Any] | None:
        query = (
            "SELECT * FROM sync.pull_runs WHERE run_date = %s AND scope = %s AND (status = 'succeeded') = %s"
            " ORDER BY started_at DESC LIMIT 1"
        )
        with self._pool.connection() as conn:
            return conn.cursor(row_factory=dict_row).execute(query, (run_date, scope, succeeded)).fetchone()

    def unfinished(self, run_date: date, scope: str = "daily") -> dict[str, Any] | None:
        """The latest run of that date that did not succeed, to resume."""
        return self._latest(run_date, scope, succeeded=False)

    def succeeded(self, run_date: date, scope: str = "daily") -> dict[str, Any] | None:
        """The latest run of that date that finished, if any."""
        return self._latest(run_date, scope, succeeded=True)

    def checkpoint(
        self,
        run_id: int,
        last_ident: str,
        *,
        read: int,
        events: int,
        calls: int,
        unmapped: int,
        dropped: Mapping[str, int] | None = None,
    ) -> None:
        """Every learner up to ``last_ident`` has its events on Kafka: add the chunk's figures."""
        with self._pool.connection() as conn, conn.transaction():
            conn.execute(
                "UPDATE sync.pull_runs SET checkpoint = %s, learners_read = learners_read + %s,"
                " events = events + %s, sa_calls = sa_calls + %s, sessions_unmapped = sessions_unmapped + %s"
                " WHERE id = %s",
                (last_ident, read, events, calls, unmapped, run_id),
            )
            if dropped:
                _add_dropped(conn, run_id, dropped)

    def add_dropped(self, run_id: int, dropped: Mapping[str, int]) -> None:
        """P14: count items dropped outside a learner chunk (the linked officers and organisations)."""
        if dropped:
            with self._pool.connection() as conn:
                _add_dropped(conn, run_id, dropped)

    def row(self, run_id: int) -> dict[str, Any]:
        """The run as it stands."""
        with self._pool.connection() as conn:
            found = conn.cursor(row_factory=dict_row).execute("SELECT * FROM sync.pull_runs WHERE id = %s", (run_id,))
            row = found.fetchone()
            assert row is not None
            return row

    def finish(self, run_id: int, status: str) -> dict[str, Any]:
        """Close the run as succeeded or failed; returns its row."""
        with self._pool.connection() as conn:
            row = (
                conn.cursor(row_factory=dict_row)
                .execute(
                    "UPDATE sync.pull_runs SET status = %s, finished_at = now() WHERE id = %s RETURNING *",
                    (status, run_id),
                )
                .fetchone()
            )
            assert row is not None
            return row

    def latest_scoped(self, prefix: str) -> dict[str, Any] | None:
        """The most recent run whose scope starts with ``prefix`` (``reconcile:``: the last reconcile run)."""
        query = "SELECT * FROM sync.pull_runs WHERE starts_with(scope, %s) ORDER BY started_at DESC, id DESC LIMIT 1"
        with self._pool.connection() as conn:
            return conn.cursor(row_factory=dict_row).execute(query, (prefix,)).fetchone()

    def latest(self) -> dict[str, Any] | None:
        """The most recent run."""
        with self._pool.connection() as conn:
            return (
                conn.cursor(row_factory=dict_row)
                .execute("SELECT * FROM sync.pull_runs ORDER BY started_at DESC LIMIT 1")
                .fetchone()
            )


def _add_dropped(conn: Connection[Any], run_id: int, dropped: Mapping[str, int]) -> None:
    conn.execute(_ADD_DROPPED, {"id": run_id, "count": sum(dropped.values()), "reasons": Jsonb(dict(dropped))})
