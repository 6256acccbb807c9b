"""A refresh request: rule R1 (v2) of DOMAIN.md §4, the push half (the pull half is the learner's pull).

R1  the learner's whole synchronisation step as the settings allow, executed against SA's current
    records (the executor's compare mode, D1–D4): details (L1–L5), the learner's break state (B1/B2),
    employer (E1 with S13), the learner's and each enrolled course's assessors (Q1 with S15), course
    dates (Q2 with S16 = Push), and each course's status and closure (A1). The daily synchronisation
    plans each eligible learner with this rule too (D1, D5).
U5  (v2) a supported qualification with no SA enrolment yet is enrolled (D2).
A1  (v2) a course whose completion status or outcome is refused is reported, its status not sent; the rest
    of the learner's step goes on (a daily request parked would hold the learner's next edits behind it).
D2  an SA enrolment that is none of the learner's qualifications is reported, never deleted.
Y2  applies to any Live learner in SA, eligible or not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from sync_core.fields import Lookups
from sync_core.plan import (
    EnsureEnrolment,
    Plan,
    ReportOrphanEnrolments,
    SaId,
    Skip,
    Step,
    update_enrolment,
    update_learner,
)
from sync_core.rules.courses import closure_fields, plan_enrol, refused_code, reported_instead
from sync_core.rules.employer import plan_employer
from sync_core.rules.gate import through_gate
from sync_core.rules.learner import plan_details
from sync_core.rules.officers import plan_learner_assessor
from sync_core.rules.qualification import has_course, plan_qualification
from sync_core.settings import IntegrationSettings

BREAK_IN_LEARNING = "Break in Learning"  # the PICS programme status of a learner on a break (B1)


def plan_learner_status(sa_id: SaId, learner: Mapping[str, Any]) -> tuple[Step, ...]:
    """B1/B2: the SA learner is on a break while PICS's programme status says so, else active (the status
    the upload gives it: nothing but a break changes it)."""
    on_break = str(learner.get("programme_status") or "").casefold() == BREAK_IN_LEARNING.casefold()
    return (update_learner(sa_id, {"status": "break_in_learning" if on_break else "active"}),)


def plan_course(
    sa_id: SaId,
    qualification: Mapping[str, Any],
    officers: Sequence[Mapping[str, Any]],
    settings: IntegrationSettings,
    lookups: Lookups,
) -> tuple[Step, ...]:
    """One qualification: U5's enrolment, then Q1/Q2 and its status and closure (A1, B1/B2).

    An enrolled course's Ensure step resolves its link; against SA's records (compare mode) the link is
    checked against SA's list of the learner's enrolments, so one deleted in SA is enrolled again, with
    its closure (D2, U5 v2)."""
    enrol = tuple(reported_instead(step, qualification, "not enrolled") for step in plan_enrol(
        sa_id, qualification, officers, settings, lookups))  # fmt: skip
    if not has_course(qualification, lookups):  # U5 v2: enrolled now, or reported as unsupported
        return enrol
    refused = refused_code(qualification)  # first: a refused code has no closure fields to map
    if refused is not None:
        return (*plan_qualification(sa_id, qualification, officers, settings),
                reported_instead(refused, qualification, "status not sent"))  # fmt: skip
    closure = closure_fields(qualification)
    # Only the enrolment: its assessors are SA's already when SA held it (a new one is Q1's, under S15).
    again = tuple(
        replace(step, fields={**step.fields, **closure}) for step in enrol if isinstance(step, EnsureEnrolment)
    )
    status = update_enrolment(sa_id, qualification["qualification_id"], closure)
    return (*again, *plan_qualification(sa_id, qualification, officers, settings), status)


def orphans_check(sa_id: SaId, qualifications: Sequence[Mapping[str, Any]], lookups: Lookups) -> ReportOrphanEnrolments:
    """D2: what the learner's SA enrolments are compared with."""
    courses = (lookups.course_id(q["qualification_reference"]) for q in qualifications)
    ids = tuple(str(q["qualification_id"]) for q in qualifications)
    return ReportOrphanEnrolments(sa_id, ids, tuple(str(c) for c in courses if c is not None))


def plan_refresh_requested(
    payload: Mapping[str, Any], settings: IntegrationSettings, lookups: Lookups, _on: date
) -> Plan:
    """RefreshRequested (and the daily synchronisation's ReconcileRequested) → R1."""
    learner = payload["learner"]
    officers, qualifications = payload.get("officers", ()), payload.get("qualifications", ())

    def compared(sa_id: SaId) -> Plan:
        steps: list[Step] = [s for s in plan_details(sa_id, learner, settings) if not isinstance(s, Skip)]
        steps += plan_learner_status(sa_id, learner)
        if settings.push_employer_changes:
            steps += plan_employer(sa_id, payload.get("placement"))
        if settings.push_assessor_changes:
            steps += plan_learner_assessor(sa_id, officers)
        for qualification in qualifications:
            steps += plan_course(sa_id, qualification, officers, settings, lookups)
        return (*steps, orphans_check(sa_id, qualifications, lookups))

    return through_gate(learner, lookups, settings, compared)
