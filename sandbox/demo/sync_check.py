"""Is SA in step with PICS? Compares every SA record of a run with PICS's rows under the settings.

Counts field mismatches (what SA holds differs from what the rules say it should hold) and
duplicate SA records (two SA records for one PICS record). Names ids and field names only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sync_core.fields import ASSESSOR_FIELDS, EMPLOYER_FIELDS, to_sa, wire
from sync_core.pics.learners import LearnerRepository
from sync_core.pics.tables import PicsTables
from sync_core.rules.learner import pushed_fields
from sync_core.rules.courses import COURSE_STATUS
from sync_core.settings import IntegrationSettings, Mode
from sync_core.smart_assessor.client import SaClient


@dataclass
class SyncCheck:
    """The outcome of a comparison."""

    learners_total: int = 0
    learners_matching: int = 0
    field_mismatches: int = 0
    duplicate_records: int = 0
    examples: list[str] = field(default_factory=list)  # "learner L1: email", at most a few

    def mismatch(self, what: str, fields: list[str]) -> None:
        """Count mismatched fields of one record."""
        self.field_mismatches += len(fields)
        if fields and len(self.examples) < 10:
            self.examples.append(f"{what}: {', '.join(fields)}")


def differing(expected: Mapping[str, Any], held: Mapping[str, Any]) -> list[str]:
    """Names of the fields whose SA value is not the expected one."""
    return [name for name, value in expected.items() if held.get(name) != value]


@dataclass
class _Pics:
    organisations: dict[str, dict[str, Any]]
    officers: dict[str, dict[str, Any]]
    roles: dict[tuple[str, str], str]
    qualifications: dict[str, list[dict[str, Any]]]


def _load(tables: PicsTables, prefix: str) -> _Pics:
    quals: dict[str, list[dict[str, Any]]] = {}
    for row in tables.rows("learner_qualification", prefix):
        quals.setdefault(row["learner_ident"], []).append(row)
    return _Pics(
        organisations={r["id"]: r for r in tables.rows("organisation", prefix)},
        officers={r["id"]: r for r in tables.rows("officer", prefix)},
        roles={(r["learner_ident"], r["role"]): r["officer_id"] for r in tables.rows("learner_officer", prefix)},
        qualifications=quals,
    )


def check_sync(pool: Any, sa: SaClient, settings: IntegrationSettings, prefix: str) -> SyncCheck:
    """Compare every PICS record whose id starts with ``prefix`` with SA."""
    check, pics = SyncCheck(), _load(PicsTables(pool), prefix)
    for learner in LearnerRepository(pool).with_prefix(prefix):
        _check_learner(check, sa, settings, pics, learner)
    if settings.organisation_mode is Mode.PUSH:
        _check_linked(
            check, pics.organisations.values(), "employer", EMPLOYER_FIELDS, sa.get_employer, sa.find_employers
        )
    if settings.officer_mode is Mode.PUSH:
        _check_linked(check, pics.officers.values(), "assessor", ASSESSOR_FIELDS, sa.get_assessor, sa.find_assessors)
    return check


def _check_linked(
    check: SyncCheck,
    rows: Iterable[Mapping[str, Any]],
    kind: str,
    fields: Mapping[str, str],
    get: Callable[[str], Mapping[str, Any]],
    find: Callable[..., list[Any]],
) -> None:
    """G1/O1 and U2/U3: each linked organisation or officer is in SA once, holding PICS's values."""
    for row in rows:
        if row["additional_id"]:
            check.mismatch(f"{kind} {row['id']}", differing(to_sa(row, fields), get(row["additional_id"])))
            check.duplicate_records += len(find(mis_id=row["id"])) - 1


def _check_learner(
    check: SyncCheck, sa: SaClient, settings: IntegrationSettings, pics: _Pics, learner: Mapping[str, Any]
) -> None:
    ident, sa_id = learner["learner_ident"], learner["smart_assessor_id"]
    check.learners_total += 1
    if not sa_id:
        check.mismatch(f"learner {ident}", ["not in Smart Assessor"])
        return
    expected = pushed_fields(learner, settings)
    expected["status"] = "break_in_learning" if learner["programme_status"] == "Break in learning" else "active"
    placement = pics.organisations.get(learner["placement_organisation_id"] or "")
    if settings.push_employer_changes and placement and placement["additional_id"]:
        expected["employerId"] = int(placement["additional_id"])
    wrong = differing(expected, sa.get_learner(sa_id))
    check.learners_matching += not wrong
    check.mismatch(f"learner {ident}", wrong)
    check.duplicate_records += len(sa.find_learners(mis_id=ident)) - 1
    _check_courses(check, sa, settings, pics, learner)


def _check_courses(
    check: SyncCheck, sa: SaClient, settings: IntegrationSettings, pics: _Pics, learner: Mapping[str, Any]
) -> None:
    ident = learner["learner_ident"]
    enrolments = sa.list_enrolments(learner["smart_assessor_id"])
    counts = Counter(e["misId"] for e in enrolments)
    check.duplicate_records += sum(n - 1 for n in counts.values())
    by_mis = {e["misId"]: e for e in enrolments}
    for qualification in pics.qualifications.get(ident, []):
        held = by_mis.get(qualification["id"])
        if held is not None:
            expected = _course_expected(settings, pics, ident, qualification)
            check.mismatch(f"course {qualification['id']}", differing(expected, held))


def _course_expected(
    settings: IntegrationSettings, pics: _Pics, ident: str, qualification: Mapping[str, Any]
) -> dict[str, Any]:
    expected: dict[str, Any] = {
        "status": COURSE_STATUS.get(qualification["completion_status"] or 1),
        "actualEndDate": wire(qualification["actual_end_date"]),
    }
    if settings.qualification_dates_mode is Mode.PUSH:
        expected |= {
            "startDate": wire(qualification["start_date"]),
            "plannedEndDate": wire(qualification["planned_end_date"]),
        }
    if settings.push_assessor_changes:
        assessor = qualification["assessor_id"] or pics.roles.get((ident, "Main Officer"))
        second = pics.roles.get((ident, settings.second_assessor_role or ""))
        expected["assessorId"] = _sa_number(pics, assessor)
        expected["secondAssessorId"] = _sa_number(pics, second)
    return expected


def _sa_number(pics: _Pics, officer_id: str | None) -> int | None:
    officer = pics.officers.get(officer_id or "")
    return int(officer["additional_id"]) if officer and officer["additional_id"] else None
