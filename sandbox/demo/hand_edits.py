"""SA records edited by hand before the daily run, of kinds the profile's settings make PICS win (D1, D2).

The list the demo keeps of what it did is the expectation: each edit is one difference the run's drift
report must show repaired (``drift_check.Drift``), and afterwards SA must hold PICS's values again (the
edited learners are compared with the oracle's model, ``sync_check``). Each kind names the setting that
makes PICS win for it, so a profile edits only what its settings repair. Each edit is made on a learner
of its own that the daily run compares (Y1: eligible, in SA), in SA's own screens (the sandbox's
hand-edit controls: no SA call, no event).

Kinds: the learner's Email typed in SA (L1, S6 = Push); its employer changed (E1, S13); its own assessor
changed (Q1, S15); a course's status set to withdrawn while PICS has it continuing (A1); a course's
assessor changed (Q1, S15); an enrolment deleted (D2: enrolled again, U5); the Phone Number of its SA
employer (G1, S12 = Push) and of its SA assessor (O1, S10 = Push) typed in SA.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from sandbox.demo import oracle_tables as t
from sandbox.demo.drift_check import Drift
from sandbox.demo.model import Ref, SaModel
from sandbox.demo.pics_rows import PicsRows
from sandbox.demo.sync_check import UNLINKED, SyncCheck, differing, resolve
from sync_core.smart_assessor.client import SaClient


class Hands(Protocol):
    """The sandbox's hand-edit controls (``sandbox.sa.process.SaSandboxProcess``)."""

    def edit_record(self, kind: str, record_id: str | int, changes: dict[str, Any]) -> dict[str, Any]: ...

    def delete_enrolment(self, enrolment_id: int) -> None: ...

    def enrolments(self) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class Target:
    """One learner an edit may work on: what the model holds of it (links resolved to SA ids) and its SA courses."""

    ident: str
    sa_id: str
    fields: Mapping[str, Any]  # the model's learner fields
    links: Mapping[str, Ref]  # employerId / assessorId → the PICS record the model links it to
    courses: Mapping[str, Mapping[str, Any]]  # PICS qualification id → the model's course
    enrolments: Mapping[str, Mapping[str, Any]]  # PICS qualification id → SA's enrolment


@dataclass(frozen=True)
class Others:
    """SA employers and assessors an edit may point a link at instead (SA ids, sorted)."""

    employers: Sequence[int]
    assessors: Sequence[int]


Edit = Callable[[Hands, Target, Others], Drift | None]


def _linked(value: Any) -> bool:
    return value is not None and value is not UNLINKED


def _other(current: Any, ids: Sequence[int]) -> int | None:
    return next((i for i in ids if i != current), None)


def _email(hands: Hands, target: Target, _others: Others) -> Drift | None:
    """L1: an Email typed in SA over the one PICS pushed."""
    hands.edit_record("learners", target.sa_id, {"email": f"typed.in.sa.{target.ident.lower()}@example.org"})
    return Drift("learner", target.ident, "email", "push", "pushed")


def _link(name: str, kind: str) -> Edit:
    """The learner's employer or assessor pointed at another SA record."""

    def edit(hands: Hands, target: Target, others: Others) -> Drift | None:
        current = target.fields.get(name)
        other = _other(current, others.employers if kind == "employer" else others.assessors)
        if not _linked(current) or other is None:
            return None
        hands.edit_record("learners", target.sa_id, {name: other})
        return Drift("learner", target.ident, name, "push", "pushed")

    return edit


def _linked_record(name: str, kind: str) -> Edit:
    """The Phone Number of the learner's SA employer or assessor (``name``: the link) typed in SA."""
    entity = "employer" if kind == "employers" else "assessor"

    def edit(hands: Hands, target: Target, _others: Others) -> Drift | None:
        ref, sa_id = target.links.get(name), target.fields.get(name)
        if ref is None or sa_id is None or sa_id is UNLINKED:
            return None
        hands.edit_record(kind, sa_id, {"phoneNumber": "0300 000 0000"})
        return Drift(entity, ref.pics_id, "phoneNumber", "push", "pushed")

    return edit


def _course(changes: Callable[[Mapping[str, Any], Others], dict[str, Any] | None]) -> Edit:
    """The first of the learner's SA courses that ``changes`` has an edit for."""

    def edit(hands: Hands, target: Target, others: Others) -> Drift | None:
        for qid, course in sorted(target.courses.items()):
            held, made = target.enrolments.get(qid), changes(course, others)
            if held is not None and made:
                hands.edit_record("enrolments", held["id"], made)
                return Drift("enrolment", qid, next(iter(made)), "push", "pushed")
        return None

    return edit


def _withdrawn(course: Mapping[str, Any], _others: Others) -> dict[str, Any] | None:
    """A1: an open course shown as withdrawn in SA."""
    return {"status": "withdrawn"} if course.get("status") == t.COURSE_STATUS[t.CONTINUING] else None


def _assessor_elsewhere(course: Mapping[str, Any], others: Others) -> dict[str, Any] | None:
    """Q1: the course's assessor swapped; only where PICS has an officer for it (else SA's stays, Q1 v2)."""
    current = course.get("assessorId")
    other = _other(current, others.assessors)
    return {"assessorId": other} if _linked(current) and other is not None else None


def _deleted(hands: Hands, target: Target, _others: Others) -> Drift | None:
    """D2: the learner's first SA course deleted in SA's screens; the run must enrol it again (U5)."""
    for qid in sorted(target.courses):
        held = target.enrolments.get(qid)
        if held is not None:
            hands.delete_enrolment(int(held["id"]))
            return Drift("enrolment", qid, "courseId", "push", "enrolled")
    return None


# (what, whether the settings make PICS win for it, the edit)
S13, S15 = "Push Changes to Learner Employer", "Push Changes to Qualification Assessors"
KINDS: tuple[tuple[str, Callable[[t.Settings], bool], Edit], ...] = (
    ("learner email (L1)", lambda s: s.mode(t.S6) == t.PUSH, _email),
    ("learner employer (E1)", lambda s: s.on(S13), _link("employerId", "employer")),
    ("learner assessor (Q1)", lambda s: s.on(S15), _link("assessorId", "assessor")),
    ("course status (A1)", lambda _s: True, _course(_withdrawn)),
    ("course assessor (Q1)", lambda s: s.on(S15), _course(_assessor_elsewhere)),
    ("enrolment deleted (D2)", lambda _s: True, _deleted),
    ("employer phone (G1)", lambda s: s.mode(t.S12) == t.PUSH, _linked_record("employerId", "employers")),
    ("assessor phone (O1)", lambda s: s.mode(t.S10) == t.PUSH, _linked_record("assessorId", "assessors")),
)


def targets(model: SaModel, rows: PicsRows, enrolments: Sequence[Mapping[str, Any]], run_date: date) -> list[Target]:
    """The learners the daily run compares (Y1) that SA and the model hold, in Learner Ident order."""
    by_learner: dict[str, dict[str, Mapping[str, Any]]] = {}
    for enrolment in enrolments:
        by_learner.setdefault(str(enrolment["learnerId"]), {})[str(enrolment["misId"])] = enrolment
    found = []
    for ident, row in sorted(rows.learners.items()):
        learner = model.learners.get(ident)
        if learner is not None and t.eligible(row, run_date):
            sa_id = str(row["smart_assessor_id"])
            courses = {qid: resolve(course, rows) for qid, course in learner.courses.items()}
            links = {name: ref for name, ref in learner.fields.items() if isinstance(ref, Ref)}
            fields = resolve(learner.fields, rows)
            found.append(Target(ident, sa_id, fields, links, courses, by_learner.get(sa_id, {})))
    return found


def others(rows: PicsRows, prefix: str) -> Others:
    """The run's linked SA employers and assessors."""

    def ids(records: Mapping[str, Mapping[str, Any]]) -> list[int]:
        return sorted(
            int(r["additional_id"]) for i, r in records.items() if i.startswith(prefix) and r["additional_id"]
        )

    return Others(ids(rows.organisations), ids(rows.officers))


def edit_by_hand(
    hands: Hands, settings: t.Settings, model: SaModel, rows: PicsRows, prefix: str, run_date: date
) -> list[Drift]:
    """One edit of each kind the settings repair, each on a learner of its own: the differences made."""
    pool, elsewhere, made = targets(model, rows, hands.enrolments(), run_date), others(rows, prefix), []
    for _what, repaired, edit in KINDS:
        if not repaired(settings):
            continue
        for target in pool:
            drift = edit(hands, target, elsewhere)
            if drift is not None:
                made.append(drift)
                pool.remove(target)
                break
    return made


def read_back(sa: SaClient, model: SaModel, rows: PicsRows, edits: Sequence[Drift]) -> SyncCheck:
    """The employers and assessors edited, as SA holds them now, against the model (their learners are
    compared in full by ``sync_check``)."""
    check = SyncCheck()
    for drift in edits:
        if drift.entity == "employer" and drift.pics_id is not None:
            held = sa.get_employer(int(rows.organisations[drift.pics_id]["additional_id"]))
            _against(check, drift, model.employers[drift.pics_id], held)
        elif drift.entity == "assessor" and drift.pics_id is not None:
            held = sa.get_assessor(int(rows.officers[drift.pics_id]["additional_id"]))
            _against(check, drift, model.assessors[drift.pics_id], held)
    return check


def _against(check: SyncCheck, drift: Drift, expected: Mapping[str, Any], held: Mapping[str, Any]) -> None:
    check.fields_checked += len(expected)
    check.mismatch(f"{drift.entity} {drift.pics_id}", differing(expected, held))
