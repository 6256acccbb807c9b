"""Qualification changes and aim closures: rules Q1, Q2 and A1 of DOMAIN.md §4, with U5 v2.

Q1  S15 on: the course's assessor and second assessor become the qualification's (linked/created);
    (v2) one PICS has no officer for is left as SA holds it (``courses.assessor_fields``).
Q2  S16 = Push: Start Date and Planned End Date are set on the SA course.
A1  an ILR aim closed: actual end date, completion status and outcome, the status from
    ``courses.COURSE_STATUS``; (v2) for any Live learner in SA however long ago the aim ended, and an
    unknown code parks naming it.
U5  (v2) a QualificationChanged about a supported qualification with no SA enrolment yet (added after
    the upload, or supported since a later "Refresh Qualification Links") enrols it.
D7  a change to an enrolled course goes behind the course's ``EnsureEnrolment`` (``behind_its_enrolment``):
    no SA call while SA holds the linked enrolment; when SA answers not found, the course is enrolled
    again (without assessors: Q1 sets them, under S15) and then changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sync_core.fields import Lookups, wire
from sync_core.plan import Plan, SaId, Skip, Step, update_enrolment
from sync_core.rules.courses import (
    assessor_fields,
    closure_fields,
    course_assessors,
    enrolment,
    ensure_assessors,
    is_supported,
    not_enrolled,
    plan_enrol,
    refused_code,
)
from sync_core.rules.gate import through_gate
from sync_core.settings import IntegrationSettings, Mode


def plan_assessors(
    sa_id: SaId,
    qualification: Mapping[str, Any],
    officers: Sequence[Mapping[str, Any]],
    settings: IntegrationSettings,
) -> tuple[Step, ...]:
    """Q1: the course's assessors in SA, each linked or created by U3; a role PICS has no officer for is
    left as SA holds it (v2)."""
    assessor, second = course_assessors(qualification, officers, settings)
    fields = assessor_fields(assessor, second)
    if not fields:
        return ()
    return (*ensure_assessors(assessor, second), update_enrolment(sa_id, qualification["qualification_id"], fields))


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


def plan_qualification_changed(
    payload: Mapping[str, Any], settings: IntegrationSettings, lookups: Lookups, _on: date
) -> Plan:
    """QualificationChanged → Q1 and Q2; a supported qualification not yet in SA is enrolled (U5 v2)."""
    qualification, officers = payload["qualification"], payload.get("officers", ())

    def changed(sa_id: SaId) -> Plan:
        if not has_course(qualification, lookups):
            if not is_supported(qualification, lookups):
                return (not_enrolled(qualification, lookups),)
            return plan_enrol(sa_id, qualification, officers, settings, lookups)
        steps = plan_qualification(sa_id, qualification, officers, settings)
        if not steps:
            return (Skip("qualification changes are not pushed (S15 off, S16 pulls)", rule="Q1"),)
        return behind_its_enrolment(sa_id, qualification, lookups, steps)

    return through_gate(payload["learner"], lookups, settings, changed)


def plan_aim_closed(payload: Mapping[str, Any], settings: IntegrationSettings, lookups: Lookups, _on: date) -> Plan:
    """IlrAimClosed → A1."""
    qualification = payload["qualification"]

    def closed(sa_id: SaId) -> Plan:
        refused = refused_code(qualification)
        if refused is not None:
            return (refused,)
        if not has_course(qualification, lookups):
            # The event carries no officers to enrol with: the next QualificationChanged, refresh or
            # daily synchronisation enrols the course, with this closure (U5 v2).
            return (not_enrolled(qualification, lookups),)
        closure = update_enrolment(sa_id, qualification["qualification_id"], closure_fields(qualification))
        return behind_its_enrolment(sa_id, qualification, lookups, (closure,))

    return through_gate(payload["learner"], lookups, settings, closed)


def behind_its_enrolment(
    sa_id: SaId,
    qualification: Mapping[str, Any],
    lookups: Lookups,
    steps: tuple[Step, ...],
) -> tuple[Step, ...]:
    """D7: ``steps`` (changes to an enrolled course) preceded by the enrolment U5 would make, so that one SA
    lost is enrolled again; as they are when U5 would not enrol it (a course SA no longer offers). Enrolled
    again without assessors: linking or creating them is Q1's, under S15, in ``steps``."""
    course_id = lookups.course_id(qualification["qualification_reference"])
    if course_id is None or refused_code(qualification) is not None:
        return steps
    return (enrolment(sa_id, qualification, course_id, {}), *steps)
