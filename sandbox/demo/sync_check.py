"""Is SA what DOMAIN says it should be? The oracle's model (``model.SaModel``) compared with SA's records.

Every learner of the run: in SA exactly when the model uploaded it (U1, X2, Y2), once (U10), its fields
as the model has them, each supported qualification enrolled exactly once and no other (U5), each course
as the model has it (U5, Q1, Q2, A1, B1, B2). Every organisation and officer of the run: in SA exactly
when an applied event needed it (U2, U3), once, with the model's values (G1, O1, or the values it was
created with). Links resolve through the ids PICS holds (U8, U2, U3 write-backs). Examples name record
ids and field names only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from psycopg_pool import ConnectionPool

from sandbox.demo.model import LearnerModel, Ref, SaModel
from sandbox.demo.pics_rows import PicsRows, read_rows
from sync_core.smart_assessor.client import SaClient

EXAMPLES = 10
UNLINKED = object()  # a Ref whose PICS record holds no SA id


@dataclass
class SyncCheck:
    """The outcome of a comparison."""

    learners_total: int = 0  # learners the model has in SA
    learners_matching: int = 0
    field_mismatches: int = 0
    duplicate_records: int = 0
    fields_checked: int = 0
    examples: list[str] = field(default_factory=list)  # "learner L1: email", at most a few

    def mismatch(self, what: str, fields: list[str]) -> None:
        """Count mismatched fields of one record."""
        self.field_mismatches += len(fields)
        if fields and len(self.examples) < EXAMPLES:
            self.examples.append(f"{what}: {', '.join(fields)}")

    def duplicates(self, what: str, records: Iterable[Any]) -> None:
        """One PICS record's SA records: each beyond the first is a duplicate."""
        extra = max(0, len(set(records)) - 1)
        self.duplicate_records += extra
        if extra and len(self.examples) < EXAMPLES:
            self.examples.append(f"{what}: {extra + 1} SA records")


def same(name: str, expected: Any, held: Any) -> bool:
    """SA's value is the expected one; an open course's completion status may be unset (1 is implied)."""
    if name == "completionStatus" and expected == 1:
        return held in (None, 1)
    if isinstance(expected, float) or isinstance(held, float):
        return expected is not None and held is not None and abs(float(expected) - float(held)) < 1e-6
    return bool(expected == held)


def differing(expected: Mapping[str, Any], held: Mapping[str, Any]) -> list[str]:
    """Names of the fields whose SA value is not the expected one."""
    wrong = []
    for name, value in expected.items():
        if value is UNLINKED:
            wrong.append(f"{name} (PICS holds no SA id for it)")
        elif not same(name, value, held.get(name)):
            wrong.append(name)
    return wrong


def resolve(expected: Mapping[str, Any], pics: PicsRows) -> dict[str, Any]:
    """The model's values with each Ref replaced by the SA id PICS holds for that record."""
    return {name: _sa_number(value, pics) if isinstance(value, Ref) else value for name, value in expected.items()}


def _sa_number(ref: Ref, pics: PicsRows) -> Any:
    row = (pics.organisations if ref.kind == "employer" else pics.officers).get(ref.pics_id)
    return int(row["additional_id"]) if row and row["additional_id"] else UNLINKED


def check_sync(
    pool: ConnectionPool, sa: SaClient, model: SaModel, prefix: str, only: set[str] | None = None
) -> SyncCheck:
    """Compare SA with the model for every record of the run (learners in ``only``, when given)."""
    check, pics = SyncCheck(), read_rows(pool, prefix)
    for ident, row in sorted(pics.learners.items()):
        if only is None or ident in only:
            _check_learner(check, sa, model, pics, row)
    if only is None:
        for org_id, org in sorted(pics.organisations.items()):
            _check_linked(
                check, "employer", org, model.employers.get(org_id), pics, sa.get_employer, _employers(sa, org)
            )
        for officer_id, officer in sorted(pics.officers.items()):
            if officer_id.startswith(prefix):
                found = _assessors(sa, officer)
                _check_linked(check, "assessor", officer, model.assessors.get(officer_id), pics, sa.get_assessor, found)
    return check


def _employers(sa: SaClient, org: Mapping[str, Any]) -> list[int]:
    found = sa.find_employers(mis_id=org["id"])
    if org["edrs_number"] and org["postcode"]:
        found += sa.find_employers(edrs_number=org["edrs_number"], postcode=org["postcode"])
    return [int(e["id"]) for e in found]


def _assessors(sa: SaClient, officer: Mapping[str, Any]) -> list[int]:
    found = sa.find_assessors(mis_id=officer["id"])
    if officer["email"]:
        found += sa.find_assessors(email=officer["email"])
    return [int(a["id"]) for a in found]


def _check_linked(
    check: SyncCheck,
    kind: str,
    row: Mapping[str, Any],
    expected: Mapping[str, Any] | None,
    pics: PicsRows,
    get: Callable[[int], Mapping[str, Any]],
    found: list[int],
) -> None:
    """U2/U3, G1/O1: in SA once exactly when an applied event needed it, holding the model's values."""
    what = f"{kind} {row['id']}"
    check.duplicates(what, found)
    if expected is None:
        wrong = ["in Smart Assessor, though no applied event needed it"] if found else []
        check.mismatch(what, wrong + (["additional_id (set, though not in SA)"] if row["additional_id"] else []))
        return
    if not row["additional_id"]:
        check.mismatch(what, ["additional_id (not linked: U2/U3)"])
        return
    check.fields_checked += len(expected)
    check.mismatch(what, differing(expected, get(int(row["additional_id"]))))


def _check_learner(check: SyncCheck, sa: SaClient, model: SaModel, pics: PicsRows, row: Mapping[str, Any]) -> None:
    ident, expected = row["learner_ident"], model.learners.get(row["learner_ident"])
    found = sa.find_learners(mis_id=ident)
    check.duplicates(f"learner {ident}", [learner["id"] for learner in found])
    if expected is None:  # never uploaded (X2, Y2): SA holds nothing of it, PICS no SA id
        wrong = ["in Smart Assessor, though never uploaded"] if found else []
        check.mismatch(
            f"learner {ident}",
            wrong + (["smart_assessor_id (set, never uploaded)"] if row["smart_assessor_id"] else []),
        )
        return
    check.learners_total += 1
    sa_id = row["smart_assessor_id"] or (found[0]["id"] if found else None)
    if sa_id is None:
        check.mismatch(f"learner {ident}", ["not in Smart Assessor"])
        return
    wrong = [] if row["smart_assessor_id"] else ["smart_assessor_id (not written back: U8)"]
    learner_fields = resolve(expected.fields, pics)
    wrong += differing(learner_fields, sa.get_learner(sa_id))
    check.fields_checked += len(learner_fields)
    check.mismatch(f"learner {ident}", wrong)
    courses_right = _check_courses(check, sa, pics, sa_id, expected)
    check.learners_matching += not wrong and courses_right


def _check_courses(check: SyncCheck, sa: SaClient, pics: PicsRows, sa_id: str, expected: LearnerModel) -> bool:
    """U5: each supported qualification enrolled once, no other; each course holding the model's values."""
    enrolments = sa.list_enrolments(sa_id)
    before = check.field_mismatches
    for mis_id, count in Counter(e["misId"] for e in enrolments).items():
        check.duplicates(f"course {mis_id}", range(count))
    held = {e["misId"]: e for e in enrolments}
    for qualification_id, course in expected.courses.items():
        if qualification_id not in held:
            check.mismatch(f"course {qualification_id}", ["no enrolment in Smart Assessor (U5)"])
            continue
        course_fields = resolve(course, pics)
        check.fields_checked += len(course_fields)
        check.mismatch(f"course {qualification_id}", differing(course_fields, held[qualification_id]))
    for mis_id in sorted(set(held) - set(expected.courses)):
        check.mismatch(f"course {mis_id}", ["enrolled in Smart Assessor, though not a supported qualification (U5)"])
    return check.field_mismatches == before
