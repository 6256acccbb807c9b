"""The learner upload at enrolment (PICS → SA, once): rules U1–U10 of DOMAIN.md §3.

U1  learner fields, Learner Ident as SA's MIS id, Start Date; Student ID = LRN with S4.
U2  employer: the current placement, linked or created (``EnsureEmployer``).
U3  assessor: the Main Officer, linked or created (``EnsureAssessor``).
U4  second assessor: the officer in S14's role, set on every course.
U5  courses: each qualification whose reference SA supports (``courses.plan_enrol``, with its closure
    when PICS has closed it, v2); others are reported, not sent.
U6  Planned OTJ Hours go with the learner.   U7  welcome email with S3.
U8  the new SA learner id is written back to PICS (the executor's write-back).
U9  the learner's synchronisation step runs once right after the upload.
U10 an already-linked learner, or one whose MIS id SA holds, is linked, never created twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sync_core.fields import Lookups
from sync_core.plan import EnsureAssessor, EnsureEmployer, EnsureLearner, Plan, Ref, Skip, Step
from sync_core.rules.courses import officer_in_role, plan_enrol, reported_instead
from sync_core.rules.eligibility import is_live
from sync_core.rules.gate import NOT_LIVE
from sync_core.rules.learner import plan_details
from sync_core.rules.upload import upload_fields
from sync_core.settings import MAIN_OFFICER, IntegrationSettings


def plan_learner_enrolled(
    payload: Mapping[str, Any], settings: IntegrationSettings, lookups: Lookups, _on: date
) -> Plan:
    """LearnerEnrolled ("Create in Smart Assessor") → employer, assessors, learner, courses, sync."""
    learner = payload["learner"]
    if not is_live(learner):
        return (NOT_LIVE,)
    placement, officers = payload.get("placement"), payload.get("officers", ())
    main = officer_in_role(officers, MAIN_OFFICER)
    second = officer_in_role(officers, settings.second_assessor_role)  # U4
    steps: list[Step] = []
    steps += [EnsureEmployer(placement)] if placement is not None else []
    steps += [EnsureAssessor(o) for o in (main, second) if o is not None]
    ident = str(learner["learner_ident"])
    fields = upload_fields(learner, settings, placement, main)
    steps.append(EnsureLearner(ident, fields, sa_id=learner.get("smart_assessor_id")))
    for qualification in payload.get("qualifications", ()):  # U4, U5
        enrol = plan_enrol(Ref("learner", ident), qualification, officers, settings, lookups)
        steps += [reported_instead(step, qualification, "not enrolled") for step in enrol]
    details = plan_details(Ref("learner", ident), learner, settings)  # U9
    steps += [step for step in details if not isinstance(step, Skip)]
    return tuple(steps)
