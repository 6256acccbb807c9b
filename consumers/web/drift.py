"""The console's Drift page and the learner timeline's repairs, read from the drift record (DOMAIN.md D3).

The page lists the latest runs (``sync.pull_runs``: id, date, kind, status) with how many differences
each found and repaired, and "no run" for those recorded by refreshes (a reconcile on demand is a run of its own). For
the run shown (``?run=ID`` or ``?run=none``; by default the latest daily run, else no run): the
differences per field as a bar chart (``chart``), per entity and action, and its newest
``RECORDS_SHOWN`` records, each linked to its learner's timeline. A learner's timeline shows under
each of its events the differences that event found, and apart those of its records found otherwise
(its employer's, found by another learner's run). Everything shown is a name or an id: the drift
record holds no value.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from psycopg_pool import ConnectionPool

from consumers.ops.drift_values import related
from consumers.web.chart import BarChart, bar_chart
from sync_core.pics.snapshot import learner_snapshot
from sync_core.state.drift import ACTIONS, DriftCount, DriftLog, DriftRecord, ListedRecord

if TYPE_CHECKING:
    from consumers.web.console import Console

RECORDS_SHOWN, RUNS_SHOWN = 200, 20
NO_RUN = "none"  # ?run=none: the differences recorded under no run


class BadRun(ValueError):
    """``?run=`` names no run."""


@dataclass(frozen=True)
class RunView:
    """One run's differences as the page shows them. ``run_id`` None: those recorded under no run."""

    run_id: int | None
    counts: list[DriftCount]
    records: list[ListedRecord]
    chart: BarChart
    actions: list[str]  # the columns of the entity × action table: the actions present, in ACTIONS' order
    by_entity: dict[str, dict[str, int]]  # entity → action → differences

    @property
    def total(self) -> int:
        """Every difference of the run."""
        return sum(c.count for c in self.counts)


@dataclass(frozen=True)
class Repairs:
    """A learner's differences: under the event that found each, and those no event of its timeline found."""

    by_event: dict[str, list[DriftRecord]]
    other: list[DriftRecord]

    @property
    def all(self) -> list[DriftRecord]:
        """Every record, newest first."""
        return sorted([*self.other, *(r for found in self.by_event.values() for r in found)], key=lambda r: -r.id)


def chosen_run(given: str, log: DriftLog) -> int | None:
    """The run ``?run=`` names: an id, ``none`` (None) or, when not given, the latest daily run."""
    given = given.strip().lower()
    if not given:
        return log.latest_run()
    if given == NO_RUN:
        return None
    if not given.isdigit():
        raise BadRun(f"run {given!r} is neither a run id nor {NO_RUN!r}")
    return int(given)


def run_view(log: DriftLog, run_id: int | None) -> RunView:
    """What the page shows of one run."""
    counts = log.run_counts(run_id)
    by_entity: dict[str, dict[str, int]] = {}
    for c in counts:
        row = by_entity.setdefault(c.entity, {})
        row[c.action] = row.get(c.action, 0) + c.count
    actions = [a for a in ACTIONS if any(c.action == a for c in counts)]
    return RunView(run_id, counts, log.run_records(run_id, RECORDS_SHOWN), bar_chart(counts), actions, by_entity)


def learner_repairs(pool: ConnectionPool, learner_ident: str, event_ids: Iterable[str]) -> Repairs:
    """The newest ``RECORDS_SHOWN`` differences of the learner's records (its own, its qualifications',
    employer's and officers', as PICS links them now), by the event of ``event_ids`` that found each."""
    snapshot = learner_snapshot(pool, learner_ident)
    records = DriftLog(pool).of_learner(learner_ident, [] if snapshot is None else related(snapshot), RECORDS_SHOWN)
    return split(records, event_ids)


def split(records: Sequence[DriftRecord], event_ids: Iterable[str]) -> Repairs:
    """``records`` under the event of ``event_ids`` that found each, in their order; the rest apart."""
    shown = set(event_ids)
    by_event: dict[str, list[DriftRecord]] = {}
    other: list[DriftRecord] = []
    for record in records:
        if record.event_id in shown:
            by_event.setdefault(record.event_id, []).append(record)
        else:
            other.append(record)
    return Repairs(by_event, other)


def pages(routes: APIRouter, console: Console) -> None:
    """The Drift page."""

    @routes.get("/drift", response_class=HTMLResponse)
    def drift(request: Request, run: str = "") -> HTMLResponse:
        log = DriftLog(console.pool)
        runs = log.runs(RUNS_SHOWN)
        try:
            view = run_view(log, chosen_run(run, log))
        except BadRun as bad:
            return console.render(request, "drift", status_code=400, runs=runs, view=None, problem=str(bad))
        return console.render(request, "drift", runs=runs, view=view, problem=None, shown=RECORDS_SHOWN)
