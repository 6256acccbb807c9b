"""The drift record (DOMAIN.md D3): every difference found between PICS and SA, and the action taken.

A row names the PICS record, the SA resource and the field, never a value: the report's figures and
records are safe to show, log and export. The two values of one learner's differences are read again
from PICS and SA on an operator's explicit request (``pics-sync reconcile report --values``).

``record`` tells ``on_record`` (the metrics) of what it recorded, once the row is in. The console's
reads (``runs``, ``run_counts``, ``run_records``) take a run id where None means the differences
recorded under no run (refreshes (a reconcile on demand is a run of its own)), not every run as ``counts`` means.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from psycopg.rows import class_row
from psycopg_pool import ConnectionPool

from sync_core.drift.compare import ACTIONS, REPAIRED, Difference

__all__ = ["ACTIONS", "REPAIRED", "Difference", "DriftLog", "DriftRecord"]

# Hears of the differences ``record`` has just recorded (the metrics' ``DriftMetrics.observe``).
OnRecord = Callable[[Sequence[Difference]], None]


@dataclass(frozen=True)
class DriftRecord:
    """One row of ``sync.drift``."""

    id: int
    run_id: int | None
    found_at: datetime
    entity: str
    pics_id: str | None
    sa_resource: str | None
    field: str
    direction: str
    action: str
    event_id: str | None


@dataclass(frozen=True)
class ListedRecord(DriftRecord):
    """A record as the console lists it, with the learner whose synchronisation found it."""

    learner_ident: str | None  # None: not known (no event of a learner, and no learner's record)


@dataclass(frozen=True)
class DriftRun:
    """One run's differences at a glance. ``run_id`` None: those recorded under no run (refreshes, on demand)."""

    run_id: int | None
    run_date: date | None  # the run's; None for no run
    scope: str | None  # 'daily' or 'learner:<ident>' (``sync.pull_runs``); None for no run
    status: str | None
    at: datetime  # when the run started; for no run, when its newest difference was found
    differences: int
    repaired: int


@dataclass(frozen=True)
class DriftCount:
    """How many differences of one kind were recorded."""

    entity: str
    field: str
    direction: str
    action: str
    count: int


_COLUMNS = ("run_id", "event_id", "entity", "pics_id", "sa_resource", "field", "direction", "action")
_INSERT = (
    f"INSERT INTO sync.drift ({', '.join(_COLUMNS)})"
    " SELECT %s::bigint, %s::text, * FROM unnest(" + ", ".join(["%s::text[]"] * (len(_COLUMNS) - 2)) + ")"
    " ON CONFLICT DO NOTHING"  # drift_once: a retried or redelivered event's differences are in already
)
_RUN = " WHERE (%(run)s::bigint IS NULL OR run_id = %(run)s)"
_GROUPED = (
    "SELECT entity, field, direction, action, count(*) AS count FROM sync.drift{where}"
    " GROUP BY entity, field, direction, action ORDER BY entity, field, direction, action"
)
_COUNTS = _GROUPED.format(where=_RUN)
_RECORDS = "SELECT * FROM sync.drift" + _RUN + " ORDER BY id DESC LIMIT %(limit)s"
_OF_RECORDS = (
    "SELECT d.* FROM sync.drift d JOIN unnest(%s::text[], %s::text[]) AS r (entity, pics_id)"
    " ON d.entity = r.entity AND d.pics_id = r.pics_id ORDER BY d.id DESC"
)
# A daily run's id is its sync.pull_runs row's (the pull and the repairs of one night share it).
_LATEST_RUN = "SELECT id FROM sync.pull_runs WHERE scope = 'daily' ORDER BY started_at DESC, id DESC LIMIT 1"
# The runs first, then a count over the drift_run index for each of those only; a run of another scope (a
# learner's pull) is listed once it found a difference.
_TALLY = "count(*) AS differences, count(*) FILTER (WHERE action = ANY(%(repaired)s)) AS repaired FROM sync.drift"
_RUNS = (
    "SELECT r.id AS run_id, r.run_date, r.scope, r.status, r.started_at AS at, t.differences, t.repaired"
    " FROM (SELECT * FROM sync.pull_runs p WHERE p.scope = 'daily' OR EXISTS (SELECT FROM sync.drift"
    " WHERE run_id = p.id) ORDER BY p.started_at DESC, p.id DESC LIMIT %(limit)s) r"
    " CROSS JOIN LATERAL (SELECT " + _TALLY + " WHERE run_id = r.id) t ORDER BY r.started_at DESC, r.id DESC"
)
_NO_RUN = "SELECT max(found_at) AS at, " + _TALLY + " WHERE run_id IS NULL"
_IN_RUN = {True: " WHERE run_id IS NULL", False: " WHERE run_id = %(run)s"}  # apart, so each uses drift_run
# The learner of a record: its own, its qualification's, or the learner whose event found it (the key of
# a learner's event is its Learner Ident; an event id that is no uuid names no processed event).
_LISTED = (
    "SELECT d.*, coalesce(CASE WHEN d.entity = 'learner' THEN d.pics_id END, q.learner_ident, l.learner_ident)"
    " AS learner_ident FROM ({newest}) d"
    " LEFT JOIN pics.learner_qualification q ON d.entity = 'enrolment' AND q.id = d.pics_id"
    " LEFT JOIN sync.processed_events p ON p.event_id ="
    " CASE WHEN d.event_id ~* '^[0-9a-f]{{8}}-([0-9a-f]{{4}}-){{3}}[0-9a-f]{{12}}$' THEN d.event_id::uuid END"
    " LEFT JOIN pics.learner l ON l.learner_ident = p.key ORDER BY d.id DESC"
)


class DriftLog:
    """Writes and reads ``sync.drift``."""

    def __init__(self, pool: ConnectionPool, on_record: OnRecord | None = None) -> None:
        self._pool, self._on_record = pool, on_record

    def record(self, run_id: int | None, event_id: str | None, differences: Iterable[Difference]) -> int:
        """Record the differences found by one run (None: a refresh) while processing one event; returns how
        many. One statement, so a learner's differences are recorded all or none; ``on_record`` hears of them
        once they are (it must not raise: the rows are in)."""
        found = tuple(differences)
        if not found:
            return 0
        rows = [tuple(getattr(d, name) for name in _COLUMNS[2:]) for d in found]
        with self._pool.connection() as conn:
            columns = [list(column) for column in zip(*rows, strict=True)]
            recorded = conn.execute(_INSERT, (run_id, event_id, *columns)).rowcount
        if self._on_record is not None:
            self._on_record(found)
        return recorded

    def counts(self, run_id: int | None = None) -> list[DriftCount]:
        """Differences per entity, field, direction and action, of one run or (None) of all."""
        with self._pool.connection() as conn:
            return conn.cursor(row_factory=class_row(DriftCount)).execute(_COUNTS, {"run": run_id}).fetchall()

    def records(self, run_id: int | None = None, limit: int = 100) -> list[DriftRecord]:
        """The newest ``limit`` records of one run or (None) of all, newest first."""
        query = {"run": run_id, "limit": limit}
        with self._pool.connection() as conn:
            return conn.cursor(row_factory=class_row(DriftRecord)).execute(_RECORDS, query).fetchall()

    def of_learner(
        self, learner_ident: str, related: Sequence[tuple[str, str]] = (), limit: int | None = None
    ) -> list[DriftRecord]:
        """The learner's records and those of ``related`` (entity, PICS id): its enrolments, employer and
        assessors, newest first; the newest ``limit`` (None: all)."""
        entities, ids = zip(("learner", learner_ident), *related, strict=True)
        with self._pool.connection() as conn:
            cursor = conn.cursor(row_factory=class_row(DriftRecord))
            return cursor.execute(_OF_RECORDS + " LIMIT %s", (list(entities), list(ids), limit)).fetchall()

    def latest_run(self) -> int | None:
        """The id of the latest daily run, whether it found differences or not."""
        with self._pool.connection() as conn:
            row = conn.execute(_LATEST_RUN).fetchone()
        return None if row is None else int(row[0])

    def runs(self, limit: int = 20) -> list[DriftRun]:
        """The latest ``limit`` daily runs and runs that found a difference, and what no run recorded (when
        any), latest first, each with its number of differences and of those repaired."""
        query = {"limit": limit, "repaired": list(REPAIRED)}
        with self._pool.connection() as conn:
            runs = conn.cursor(row_factory=class_row(DriftRun)).execute(_RUNS, query).fetchall()
            at, differences, repaired = conn.execute(_NO_RUN, query).fetchone() or (None, 0, 0)
        if differences:
            runs.append(DriftRun(None, None, None, None, at, differences, repaired))
        return sorted(runs, key=lambda r: r.at, reverse=True)[:limit]

    def run_counts(self, run_id: int | None) -> list[DriftCount]:
        """Differences per entity, field, direction and action of one run (None: recorded under no run)."""
        query = _GROUPED.format(where=_IN_RUN[run_id is None])
        with self._pool.connection() as conn:
            return conn.cursor(row_factory=class_row(DriftCount)).execute(query, {"run": run_id}).fetchall()

    def run_records(self, run_id: int | None, limit: int = 200) -> list[ListedRecord]:
        """The newest ``limit`` records of one run (None: recorded under no run), newest first, each with its
        learner."""
        newest = "SELECT * FROM sync.drift" + _IN_RUN[run_id is None] + " ORDER BY id DESC LIMIT %(limit)s"
        query: dict[str, Any] = {"run": run_id, "limit": limit}
        with self._pool.connection() as conn:
            cursor = conn.cursor(row_factory=class_row(ListedRecord))
            return cursor.execute(_LISTED.format(newest=newest), query).fetchall()
