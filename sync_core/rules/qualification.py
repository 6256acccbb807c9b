"""Qualification changes and aim closures: rules Q1, Q2 and A1 of DOMAIN.md §4.

Q1  S15 on: the course's assessor and second assessor become the qualification's (linked/created).
Q2  S16 = Push: Start Date and Planned End Date are set on the SA course.
A1  an ILR aim closed: actual end date, completion status and outcome; status from ``COURSE_STATUS``.
A qualification with no SA course (unsupported, U5) has nothing to update.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sync_core.fields import Lookups, wire
from sync_core.plan import EnsureAssessor, Plan, Ref, SaId, Skip, Step, update_enrolment
from sync_core.rules.enrolment import MAIN_OFFICER, officer_in_role
from sync_core.rules.gate import change_gate
from sync_core.settings import IntegrationSettings, Mode

# Completion status (ILR) → SA course status (a Decision of DOMAIN.md §4).
COURSE_STATUS: Mapping[int, str] = {
    1: "in_training",
    2: "completed",
    3: "withdrawn",
    4: "transferred",
    6: "break_in_learning",
}


def plan_assessors(
    sa_id: SaId,
    qualification: Mapping[str, Any],
    officers: Sequence[Mapping[str, Any]],
    settings: IntegrationSettings,
) -> tuple[Step, ...]:
    """Q1: the course's assessors in SA, each linked or created by U3."""
    assessor = qualification.get("assessor") or officer_in_role(officers, MAIN_OFFICER)
    second = officer_in_role(officers, settings.second_assessor_role)
    ensure = tuple(EnsureAssessor(o) for o in (assessor, second) if o is not None)
    fields = {
        "assessorId": None if assessor is None else Ref("assessor", assessor["officer_id"]),
        "secondAssessorId": None if second is None else Ref("assessor", second["officer_id"]),
    }
    return (*ensure, update_enrolment(sa_id, qualification["qualification_id"], fields))


def plan_dates(sa_id: SaId, qualification: Mapping[str, Any]) -> tuple[Step, ...]:
    """Q2: the course's Start Date and Planned End Date in SA."""
    fields = {
        "startDate": wire(qualification.get("start_date")),
        "plannedEndDate": wire(qualification.get("planned_end_date")),
    }
    return (update_enrolment(sa_id, qualification["qualification_id"], fields),)


def plan_qualification(
    sa_id: SaId,
    qualification: Mapping[str, Any],
    officers: Sequence[Mapping[str, Any]],
    settings: IntegrationSettings,
) -> tuple[Step, ...]:
    """Q1 and Q2 as the settings allow."""
    steps: tuple[Step, ...] = ()
    if settings.push_assessor_changes:
        steps += plan_assessors(sa_id, qualification, officers, settings)
    if settings.qualification_dates_mode is Mode.PUSH:
        steps += plan_dates(sa_id, qualification)
    return steps


def has_course(qualification: Mapping[str, Any], lookups: Lookups) -> bool:
    """True when the qualification is enrolled in SA."""
    return lookups.sa_id("enrolment", str(qualification["qualification_id"])) is not None


def course_gate(payload: Mapping[str, Any], lookups: Lookups, on: date) -> tuple[str | None, Plan]:
    """(SA learner id, ()) when the event's qualification has an SA course to change; else the plan."""
    sa_id, gated = change_gate(payload["learner"], lookups, on)
    if sa_id is not None and not has_course(payload["qualification"], lookups):
        return None, (Skip("qualification has no course in Smart Assessor", rule="U5"),)
    return sa_id, gated


def plan_qualification_changed(
    payload: Mapping[str, Any], settings: IntegrationSettings, lookups: Lookups, on: date
) -> Plan:
    """QualificationChanged → Q1 and Q2."""
    sa_id, gated = course_gate(payload, lookups, on)
    if sa_id is None:
        return gated
    steps = plan_qualification(sa_id, payload["qualification"], payload.get("officers", ()), settings)
    return steps or (Skip("qualification changes are not pushed (S15 off, S16 pulls)", rule="Q1"),)


def plan_aim_closed(payload: Mapping[str, Any], settings: IntegrationSettings, lookups: Lookups, on: date) -> Plan:
    """IlrAimClosed → A1."""
    sa_id, gated = course_gate(payload, lookups, on)
    if sa_id is None:
        return gated
    qualification = payload["qualification"]
    status = qualification.get("completion_status")
    fields = {
        "actualEndDate": wire(qualification.get("actual_end_date")),
        "completionStatus": status,
        "outcome": qualification.get("outcome"),
        "status": COURSE_STATUS.get(status or 1, "in_training"),
    }
    return (update_enrolment(sa_id, qualification["qualification_id"], fields),)
