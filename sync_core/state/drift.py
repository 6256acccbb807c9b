"""The drift record (DOMAIN.md D3): every difference found between PICS and SA, and the action taken.

A row names the PICS record, the SA resource and the field, never a value: the report's figures and
records are safe to show, log and export. The two values of one learner's differences are read again
from PICS and SA on an operator's explicit request (``pics-sync reconcile report --values``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from psycopg.rows import class_row
from psycopg_pool import ConnectionPool

ENTITIES = ("learner", "enrolment", "employer", "assessor")
DIRECTIONS = ("push", "pull")
ACTIONS = ("pushed", "pulled", "enrolled", "reported", "failed", "would push", "would enrol")  # would: a dry run's


class Difference(Protocol):
    """One differing field as the comparison reports it (``sync_core.drift.compare.Difference``)."""

    @property
    def entity(self) -> str: ...  # one of ENTITIES

    @property
    def sa_resource(self) -> str | None: ...  # "learner:<SA id>"; None: not in SA yet

    @property
    def pics_id(self) -> str | None: ...  # None: an SA record PICS has not (D2)

    @property
    def field(self) -> str: ...

    @property
    def direction(self) -> str: ...  # one of DIRECTIONS

    @property
    def action(self) -> str: ...  # one of ACTIONS


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
)
_RUN = " WHERE (%(run)s::bigint IS NULL OR run_id = %(run)s)"
_COUNTS = (
    "SELECT entity, field, direction, action, count(*) AS count FROM sync.drift" + _RUN +
    " GROUP BY entity, field, direction, action ORDER BY entity, field, direction, action"
)  # fmt: skip
_RECORDS = "SELECT * FROM sync.drift" + _RUN + " ORDER BY id DESC LIMIT %(limit)s"
_OF_RECORDS = (
    "SELECT d.* FROM sync.drift d JOIN unnest(%s::text[], %s::text[]) AS r (entity, pics_id)"
    " ON d.entity = r.entity AND d.pics_id = r.pics_id ORDER BY d.id DESC"
)
# A daily run's id is its sync.pull_runs row's (the pull and the repairs of one night share it).
_LATEST_RUN = "SELECT id FROM sync.pull_runs WHERE scope = 'daily' ORDER BY started_at DESC, id DESC LIMIT 1"


class DriftLog:
    """Writes and reads ``sync.drift``."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def record(self, run_id: int | None, event_id: str | None, differences: Iterable[Difference]) -> int:
        """Record the differences found by one run (None: a refresh) while processing one event; returns how
        many. One statement, so a learner's differences are recorded all or none."""
        rows = [tuple(getattr(d, name) for name in _COLUMNS[2:]) for d in differences]
        if not rows:
            return 0
        with self._pool.connection() as conn:
            columns = [list(column) for column in zip(*rows, strict=True)]
            return conn.execute(_INSERT, (run_id, event_id, *columns)).rowcount

    def counts(self, run_id: int | None = None) -> list[DriftCount]:
        """Differences per entity, field, direction and action, of one run or (None) of all."""
        with self._pool.connection() as conn:
            return conn.cursor(row_factory=class_row(DriftCount)).execute(_COUNTS, {"run": run_id}).fetchall()

    def records(self, run_id: int | None = None, limit: int = 100) -> list[DriftRecord]:
        """The newest ``limit`` records of one run or (None) of all, newest first."""
        query = {"run": run_id, "limit": limit}
        with self._pool.connection() as conn:
            return conn.cursor(row_factory=class_row(DriftRecord)).execute(_RECORDS, query).fetchall()

    def of_learner(self, learner_ident: str, related: Sequence[tuple[str, str]] = ()) -> list[DriftRecord]:
        """The learner's records and those of ``related`` (entity, PICS id): its enrolments, employer and
        assessors, newest first."""
        entities, ids = zip(("learner", learner_ident), *related, strict=True)
        with self._pool.connection() as conn:
            cursor = conn.cursor(row_factory=class_row(DriftRecord))
            return cursor.execute(_OF_RECORDS, (list(entities), list(ids))).fetchall()

    def latest_run(self) -> int | None:
        """The id of the latest daily run, whether it found differences or not."""
        with self._pool.connection() as conn:
            row = conn.execute(_LATEST_RUN).fetchone()
        return None if row is None else int(row[0])
