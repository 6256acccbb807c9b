"""SA read back after a reconcile: is each corrupted field PICS's again, is anything else off, any duplicate?

What SA should hold is ``InStep``'s, written from DOMAIN.md (with PICS's edits in its world), never
the product's view; values compare as the demo's oracle compares them (an open course's completion
status may be unset or 1). A duplicate is an SA record beyond the first with one MIS id or natural
key (U10, D6): learners by MIS id and ULN, employers by MIS id and EDRS number + postcode, assessors
by MIS id and e-mail, enrolments by learner and MIS id (a deleted course enrolled again once, not twice).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sandbox.bench.drift_made import Corrupted
from sandbox.demo.sync_check import same
from sandbox.pics.in_sync import InStep
from sandbox.sa.process import SaSandboxProcess
from sandbox.sa.store import fold_case, fold_postcode

Record = dict[str, Any]
# An open course's closure as SA holds it once in step (A1: continuing, no end date or outcome).
OPEN_COURSE = {"actualEndDate": None, "completionStatus": 1, "outcome": None}


@dataclass(frozen=True)
class Holding:
    """Every record SA holds now, as the sandbox lists them."""

    learners: Sequence[Record]
    employers: Sequence[Record]
    assessors: Sequence[Record]
    enrolments: Sequence[Record]

    @classmethod
    def read(cls, sa: SaSandboxProcess) -> Holding:
        return cls(sa.learners(), sa.employers(), sa.assessors(), sa.enrolments())

    def record(self, step: InStep, corrupted: Corrupted) -> Record | None:
        """SA's record that ``corrupted`` names (an enrolment: the learner's with that MIS id)."""
        learner = next((r for r in self.learners if r["misId"] == corrupted.learner_ident), None)
        if learner is None or corrupted.entity == "learner":
            return learner
        mine = [e for e in self.enrolments if e["learnerId"] == learner["id"] and e["misId"] == corrupted.pics_id]
        return mine[0] if mine else None


def expected(step: InStep, corrupted: Corrupted) -> Record:
    """What SA should hold of the record ``corrupted`` names."""
    if corrupted.entity == "learner":
        return step.learner(corrupted.learner_ident)
    qualification = next(
        q for q in step.world.qualifications[corrupted.learner_ident] if q["qualification_id"] == corrupted.pics_id
    )
    return {**step.enrolment(corrupted.learner_ident, qualification), **OPEN_COURSE}


def repaired(step: InStep, holding: Holding, corrupted: Iterable[Corrupted]) -> int:
    """How many corrupted fields SA holds PICS's value of again."""
    count = 0
    for each in corrupted:
        held = holding.record(step, each)
        count += held is not None and same(each.field, expected(step, each)[each.field], held.get(each.field))
    return count


def wrong_fields(step: InStep, holding: Holding) -> int:
    """Fields of every learner and enrolment that SA holds otherwise than PICS under the settings."""
    learners = {r["misId"]: r for r in holding.learners}
    enrolments = {(e["learnerId"], e["misId"]): e for e in holding.enrolments}
    wrong = 0
    for ident in step.world.learners:
        wrong += _differing(step.learner(ident), learners.get(ident))
    for ident, qualification in step.enrolled():
        held = enrolments.get((learners[ident]["id"], qualification["qualification_id"]))
        wrong += _differing({**step.enrolment(ident, qualification), **OPEN_COURSE}, held)
    return wrong


def _differing(wanted: Record, held: Record | None) -> int:
    if held is None:
        return len(wanted)
    return sum(not same(name, value, held.get(name)) for name, value in wanted.items())


def duplicates(holding: Holding) -> int:
    """SA records beyond the first of each MIS id or natural key."""
    keys: Sequence[tuple[Sequence[Record], Callable[[Record], Hashable]]] = (
        (holding.learners, lambda r: r["misId"]),
        (holding.learners, lambda r: r.get("uln")),
        (holding.employers, lambda r: r["misId"]),
        (holding.employers, lambda r: (r.get("edrsNumber"), fold_postcode(r.get("postcode")))),
        (holding.assessors, lambda r: r["misId"]),
        (holding.assessors, lambda r: fold_case(r.get("email"))),
        (holding.enrolments, lambda r: (r["learnerId"], r["misId"])),
    )
    return sum(_extra(records, key) for records, key in keys)


def _extra(records: Sequence[Record], key: Callable[[Record], Hashable]) -> int:
    counts = Counter(key(r) for r in records)
    return sum(n - 1 for value, n in counts.items() if value not in (None, (None, None)))
