"""A refresh request: rule R1 of DOMAIN.md §4 (the push half; the pull half is the daily pull's).

R1  the learner's whole synchronisation step as the settings allow: details (L1–L5), employer
    (E1 with S13), and each enrolled course's assessors (Q1 with S15) and dates (Q2 with S16).
U5  (v2) a supported qualification with no SA enrolment yet is enrolled.
Y2  applies to any Live learner in SA, eligible or not.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sync_core.fields import Lookups
from sync_core.plan import Plan, Skip, Step
from sync_core.rules.courses import plan_enrol
from sync_core.rules.employer import plan_employer
from sync_core.rules.gate import change_gate
from sync_core.rules.learner import plan_details
from sync_core.rules.qualification import has_course, plan_qualification
from sync_core.settings import IntegrationSettings


def plan_refresh_requested(
    payload: Mapping[str, Any], settings: IntegrationSettings, lookups: Lookups, _on: date
) -> Plan:
    """RefreshRequested → R1."""
    learner = payload["learner"]
    sa_id, gated = change_gate(learner, lookups)
    if sa_id is None:
        return gated
    steps: list[Step] = [s for s in plan_details(sa_id, learner, settings) if not isinstance(s, Skip)]
    if settings.push_employer_changes:
        steps += plan_employer(sa_id, payload.get("placement"))
    officers = payload.get("officers", ())
    for qualification in payload.get("qualifications", ()):
        if has_course(qualification, lookups):
            steps += plan_qualification(sa_id, qualification, officers, settings)
        else:  # U5 v2: enrolled now, or reported as unsupported
            steps += plan_enrol(sa_id, qualification, officers, settings, lookups)
    return tuple(steps) or (Skip("nothing is pushed under the settings", rule="R1"),)
