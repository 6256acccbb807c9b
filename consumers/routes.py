"""The one routing table: Avro record name → the rule that plans it, and the topic it arrives on.

A test checks that every event record in schemas/ has a route and every route a schema.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sync_core.plan import Plan
from sync_core.rules.breaks import plan_break_in_learning
from sync_core.rules.employer import plan_employer_changed
from sync_core.rules.enrolment import plan_learner_enrolled
from sync_core.rules.fields import Lookups
from sync_core.rules.learner import plan_learner_edited
from sync_core.rules.organisation import plan_officer_edited, plan_organisation_edited
from sync_core.rules.qualification import plan_aim_closed, plan_qualification_changed
from sync_core.rules.refresh import plan_refresh_requested
from sync_core.settings import IntegrationSettings

Rule = Callable[[Mapping[str, Any], IntegrationSettings, Lookups, date], Plan]
LEARNER, ORGANISATION, OFFICER = "pics.learner", "pics.organisation", "pics.officer"
PUSH_TOPICS = (LEARNER, ORGANISATION, OFFICER)


@dataclass(frozen=True)
class Route:
    """How one event record is handled."""

    rule: Rule
    topic: str  # the logical topic the record arrives on


ROUTES: Mapping[str, Route] = {
    "LearnerEnrolled": Route(plan_learner_enrolled, LEARNER),
    "LearnerEdited": Route(plan_learner_edited, LEARNER),
    "EmployerChanged": Route(plan_employer_changed, LEARNER),
    "QualificationChanged": Route(plan_qualification_changed, LEARNER),
    "IlrAimClosed": Route(plan_aim_closed, LEARNER),
    "BreakInLearning": Route(plan_break_in_learning, LEARNER),
    "RefreshRequested": Route(plan_refresh_requested, LEARNER),
    "OrganisationEdited": Route(plan_organisation_edited, ORGANISATION),
    "OfficerEdited": Route(plan_officer_edited, OFFICER),
}
