"""The learner's officers by role changed: rule Q1 (v2) of DOMAIN.md §4, event LearnerOfficersChanged.

Q1  S15 on: every course's assessor (the qualification's own, else the new Main Officer) and second
    assessor (the officer in S14's role) are set again, an officer PICS has none for left as SA holds
    it; and the SA learner's own assessor becomes the Main Officer. A change of Main Officer is how
    a course without an assessor of its own gets a new one, so it is re-applied to every course.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sync_core.fields import Lookups
from sync_core.plan import EnsureAssessor, Plan, Ref, SaId, Skip, Step, update_learner
from sync_core.rules.courses import officer_in_role
from sync_core.rules.gate import through_gate
from sync_core.rules.qualification import has_course, plan_assessors
from sync_core.settings import MAIN_OFFICER, IntegrationSettings


def plan_learner_assessor(sa_id: SaId, officers: Sequence[Mapping[str, Any]]) -> tuple[Step, ...]:
    """Q1 v2: the SA learner's own assessor is the Main Officer, linked or created by U3; none in PICS
    leaves SA's as it is."""
    main = officer_in_role(officers, MAIN_OFFICER)
    if main is None:
        return ()
    return (EnsureAssessor(main), update_learner(sa_id, {"assessorId": Ref("assessor", str(main["officer_id"]))}))


def plan_learner_officers_changed(
    payload: Mapping[str, Any], settings: IntegrationSettings, lookups: Lookups, _on: date
) -> Plan:
    """LearnerOfficersChanged → Q1 on the learner and every enrolled course."""
    if not settings.push_assessor_changes:
        return (Skip("assessor changes are not pushed (S15 off)", rule="Q1"),)
    officers = payload.get("officers", ())

    def assessors(sa_id: SaId) -> Plan:
        steps: list[Step] = list(plan_learner_assessor(sa_id, officers))
        for qualification in payload.get("qualifications", ()):
            if has_course(qualification, lookups):
                steps += plan_assessors(sa_id, qualification, officers, settings)
        return tuple(steps) or (Skip("the learner has no officer to set in Smart Assessor", rule="Q1"),)

    return through_gate(payload["learner"], lookups, settings, assessors)
