"""The daily run's comparison in the demo (DOMAIN.md D1–D3): consume its reconcile requests, read its drift
report, and check the report against what the demo knows.

The daily run asks the push consumer to compare each learner it read (and the learners' employers and
assessors) with SA; here the push topics are drained, and the oracle's model folds the same requests
over PICS's records as they stand (``reconciles``), so a difference the model itself predicts (a course
SA lacks, a field out of step) is expected as well as the demo's hand edits (``hand_edits``) and the
pull's changes (``pull_check``). The report of the run is read by its run id (``DriftLog``: the
figures an operator sees) and compared, row by row, with those expectations (``drift_check``). The
learners edited by hand are then compared with the model in full: SA must hold PICS's values again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from consumers.service import Service
from sandbox.demo.drift_check import EXAMPLES, REPAIRED, Drift, check_drift
from sandbox.demo.hand_edits import read_back
from sandbox.demo.model import SaModel
from sandbox.demo.pics_rows import PicsRows
from sandbox.demo.reconciles import folded, learners_of
from sandbox.demo.sending import consume
from sandbox.demo.sync_check import check_sync
from sandbox.pics.world import World
from sync_core.outcome import Kind, Outcome, Tally
from sync_core.state.drift import DriftCount, DriftLog

ALL_ROWS = 1_000_000  # the report's rows of one run, every one of them


@dataclass(frozen=True)
class DailyRun:
    """What the daily run worked on: its id, PICS before it, the demo's hand edits and the pull's changes."""

    run_id: int
    run_date: date
    before: PicsRows
    hand_edits: list[Drift]
    pulled: list[Drift]


@dataclass
class _Requests(Tally):
    """The consumer's tally of the requests, keeping what a few parked ones said (ids and rule, no value)."""

    parked: list[str] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        super().add(outcome)
        if outcome.kind is Kind.PARKED and len(self.parked) < EXAMPLES:
            self.parked.append(f"{outcome.event_type} {outcome.event_id} parked: {(outcome.reason or '')[:120]}")


def reconcile_phase(service: Service, model: SaModel, world: World, prefix: str, night: DailyRun) -> dict[str, Any]:
    """Drain the reconcile requests; the drift figures of the run and their check, and SA read back."""
    tally = _Requests()
    consume(service, tally)
    expected = set(night.hand_edits) | set(night.pulled) | folded(model, world, night.before, night.run_date)
    found = [Drift(r.entity, r.pics_id, r.field, r.direction, r.action) for r in
             DriftLog(service.pool).records(night.run_id, limit=ALL_ROWS)]  # fmt: skip
    check = check_drift(expected, found)
    edited = learners_of(night.hand_edits, model)
    back = check_sync(service.pool, service.sa, model, prefix, only=edited)
    records = read_back(service.sa, model, night.before, night.hand_edits)
    return {
        **check.figures(),
        **report_figures(DriftLog(service.pool).counts(night.run_id)),
        "hand_edits": len(night.hand_edits),
        "hand_edited_fields_wrong": back.field_mismatches + back.duplicate_records + records.field_mismatches,
        "reconcile_events_parked": tally.count(Kind.PARKED),
        "drift_examples": tally.parked + check.examples + back.examples + records.examples,
    }


def report_figures(counts: Iterable[DriftCount]) -> dict[str, Any]:
    """The run's drift report as the summary shows it: differences found, repaired, and per action."""
    by_action: Counter[str] = Counter()
    for count in counts:
        by_action[count.action] += count.count
    return {
        "drift_found": sum(by_action.values()),
        "drift_repaired": sum(n for action, n in by_action.items() if action in REPAIRED),
        "drift_by_action": dict(sorted(by_action.items())),
    }
