"""One learner qualification as an SA course: the assessors, the closure and the enrolment.

U4  the second assessor is the officer in S14's role (any role PICS holds but Main Officer, S14 v2).
U5  a supported qualification is enrolled with Start Date, Planned End Date and its assessors;
    (v2) one already closed in PICS is enrolled with its closure (A1's fields and status).
Q1  (v2) the assessor is the qualification's own, else the learner's Main Officer; an officer PICS
    does not have for a role leaves SA's value as it is (the field is not sent), never cleared.
A1  completion status → SA course status by ``COURSE_STATUS``; outcome codes pass through; (v2) a
    code outside the lists is refused, naming the code, never mapped to In Training.
Shared by the enrolment, a qualification change, an aim closure and a refresh, so each enrols and
closes a course the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sync_core.fields import Lookups, wire
from sync_core.plan import EnsureAssessor, EnsureEnrolment, Park, Ref, Report, SaId, Skip, Step
from sync_core.settings import MAIN_OFFICER, IntegrationSettings

CONTINUING = 1

# Completion status (ILR) → SA course status (a Decision of DOMAIN.md §4).
COURSE_STATUS: Mapping[int, str] = {
    1: "in_training",
    2: "completed",
    3: "withdrawn",
    4: "transferred",
    6: "break_in_learning",
}
OUTCOMES = frozenset({1, 2, 3, 8})  # achieved, partial, no achievement, not yet known


def officer_in_role(officers: Sequence[Mapping[str, Any]], role: str | None) -> Mapping[str, Any] | None:
    """The officer holding ``role`` for the learner, if any (any case: S14 may be set before PICS holds it)."""
    wanted = (role or "").casefold()
    return next((o["officer"] for o in officers if wanted and str(o["role"]).casefold() == wanted), None)


def is_supported(qualification: Mapping[str, Any], lookups: Lookups) -> bool:
    """U5: SA has a course for the qualification's reference (the qualification links)."""
    return lookups.course_id(qualification["qualification_reference"]) is not None


def unsupported(qualification: Mapping[str, Any]) -> str:
    """U5: how an unsupported qualification is reported or skipped."""
    return f"qualification {qualification['qualification_reference']} is not supported in SA"


def not_enrolled(qualification: Mapping[str, Any], lookups: Lookups) -> Skip:
    """U5: why a qualification has no SA course: SA does not support it, or it is not enrolled yet."""
    if not is_supported(qualification, lookups):
        return Skip(unsupported(qualification), rule="U5")
    return Skip("qualification has no enrolment in Smart Assessor yet", rule="U5")


def course_assessors(
    qualification: Mapping[str, Any], officers: Sequence[Mapping[str, Any]], settings: IntegrationSettings
) -> tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]:
    """(assessor, second assessor) of the course: U4, U5 and Q1."""
    assessor = qualification.get("assessor") or officer_in_role(officers, MAIN_OFFICER)
    return assessor, officer_in_role(officers, settings.second_assessor_role)


def assessor_fields(assessor: Mapping[str, Any] | None, second: Mapping[str, Any] | None) -> dict[str, Any]:
    """Q1 v2: the assessor fields PICS has an officer for; a missing one is not sent, so SA keeps its own."""
    fields: dict[str, Any] = {}
    if assessor is not None:
        fields["assessorId"] = Ref("assessor", str(assessor["officer_id"]))
    if second is not None:
        fields["secondAssessorId"] = Ref("assessor", str(second["officer_id"]))
    return fields


def ensure_assessors(*officers: Mapping[str, Any] | None) -> tuple[Step, ...]:
    """U3: link or create each officer that a step is about to name."""
    return tuple(EnsureAssessor(officer) for officer in officers if officer is not None)


def refused_code(qualification: Mapping[str, Any]) -> Park | None:
    """A1 v2: a completion status or outcome outside DOMAIN.md's lists parks, naming the code."""
    status, outcome = qualification.get("completion_status"), qualification.get("outcome")
    if status is not None and status not in COURSE_STATUS:
        return Park(f"unknown completion status {status}", rule="A1")
    if outcome is not None and outcome not in OUTCOMES:
        return Park(f"unknown outcome {outcome}", rule="A1")
    return None


def reported_instead(step: Step, qualification: Mapping[str, Any], left: str) -> Step:
    """A1 v2 in a learner's whole step (an upload, a refresh, the daily synchronisation): a course whose code
    is refused is reported and ``left`` (e.g. "not enrolled"); the learner and its other courses still go,
    so nothing of the learner waits behind one bad code (X2 v2's aim). A lone IlrAimClosed still parks."""
    if isinstance(step, Park):
        return Report(f"qualification {qualification['qualification_id']} {left}: {step.reason}", step.rule)
    return step


def is_closed(qualification: Mapping[str, Any]) -> bool:
    """True when PICS has closed the aim (an actual end date, or a status other than continuing)."""
    status = qualification.get("completion_status") or CONTINUING
    return qualification.get("actual_end_date") is not None or status != CONTINUING


def closure_fields(qualification: Mapping[str, Any]) -> dict[str, Any]:
    """A1: the course's actual end date, completion status, outcome and SA status (codes checked first)."""
    status = qualification.get("completion_status")
    return {
        "actualEndDate": wire(qualification.get("actual_end_date")),
        "completionStatus": status,
        "outcome": qualification.get("outcome"),
        "status": COURSE_STATUS[status or CONTINUING],
    }


def plan_enrol(
    learner: SaId,
    qualification: Mapping[str, Any],
    officers: Sequence[Mapping[str, Any]],
    settings: IntegrationSettings,
    lookups: Lookups,
) -> tuple[Step, ...]:
    """U5: enrol the learner on the qualification's SA course, or report that SA does not support it.

    A code A1 refuses parks the plan (``refused_code``); an enrolment of the whole learner reports it instead.
    """
    course_id = lookups.course_id(qualification["qualification_reference"])
    if course_id is None:
        return (Report(unsupported(qualification), rule="U5"),)
    refused = refused_code(qualification)
    if refused is not None:
        return (refused,)
    assessor, second = course_assessors(qualification, officers, settings)
    enrol = enrolment(learner, qualification, course_id, assessor_fields(assessor, second))
    return (*ensure_assessors(assessor, second), enrol)


def enrolment(
    learner: SaId, qualification: Mapping[str, Any], course_id: str, assessors: Mapping[str, Any]
) -> EnsureEnrolment:
    """U5's enrolment of the qualification on SA course ``course_id``, with these of its assessor fields
    (``assessor_fields``; the others none), and its closure when PICS has closed it (v2)."""
    fields: dict[str, Any] = {
        "courseId": int(course_id),
        "misId": qualification["qualification_id"],
        "startDate": wire(qualification.get("start_date")),
        "plannedEndDate": wire(qualification.get("planned_end_date")),
        "assessorId": None,
        "secondAssessorId": None,
        **assessors,
    }
    if is_closed(qualification):  # U5 v2: enrolled with its closure
        fields |= closure_fields(qualification)
    return EnsureEnrolment(learner, qualification["qualification_id"], fields)
