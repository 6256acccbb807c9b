"""The one routing table: Avro record name → the rule that plans it, and the topic it arrives on.

A test checks that every event record in schemas/ has a route and every route a schema.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sync_core.fields import Lookups
from sync_core.plan import Plan
from sync_core.rules.breaks import plan_break_in_learning
from sync_core.rules.employer import plan_employer_changed
from sync_core.rules.enrolment import plan_learner_enrolled
from sync_core.rules.learner import plan_learner_edited
from sync_core.rules.officers import plan_learner_officers_changed
from sync_core.rules.organisation import plan_officer_edited, plan_organisation_edited
from sync_core.rules.pulled import (
    plan_demographics,
    plan_officer,
    plan_organisation,
    plan_otj,
    plan_progress,
    plan_qualification_dates,
    plan_risk,
)
from sync_core.rules.qualification import plan_aim_closed, plan_qualification_changed
from sync_core.rules.refresh import plan_refresh_requested
from sync_core.rules.reviews import plan_review
from sync_core.settings import IntegrationSettings

Rule = Callable[[Mapping[str, Any], IntegrationSettings, Lookups, date], Plan]
LEARNER, ORGANISATION, OFFICER = "pics.learner", "pics.organisation", "pics.officer"
SA_LEARNER, SA_ORGANISATION, SA_OFFICER = "sa.learner", "sa.organisation", "sa.officer"
PUSH_TOPICS = (LEARNER, ORGANISATION, OFFICER)  # PICS → SA: the push consumers
PULL_TOPICS = (SA_LEARNER, SA_ORGANISATION, SA_OFFICER)  # SA → PICS: the PICS updaters
# The payload field naming the record that a push topic is keyed by: what a reconcile request asks about.
RECORD_KEYS: Mapping[str, str] = {LEARNER: "learner_ident", ORGANISATION: "organisation_id", OFFICER: "officer_id"}


@dataclass(frozen=True)
class Route:
    """How one event record is handled."""

    rule: Rule
    topic: str  # the logical topic the record arrives on
    # The rule plans from PICS's record (of the learner, organisation or officer the payload names) as it is
    # when the event is processed, not from the event's payload: a reconcile repairs with what PICS holds
    # then, so never under a newer edit (D5).
    current_record: bool = False
    # Executed against SA's current records, not X1's memo of what was pushed, so an SA hand edit is seen (D1).
    compare: bool = False
    # R1 v2: once the push half is done, this learner's pull (P1-P11) with event ids of its own.
    then_pull: bool = False

    @property
    def pulls(self) -> bool:
        """True for an SA → PICS updater (its plan writes PICS, not SA)."""
        return self.topic in PULL_TOPICS

    def record_of(self, payload: Mapping[str, Any]) -> str:
        """The id of the PICS record a ``current_record`` event is about (its topic's key)."""
        return str(payload[RECORD_KEYS[self.topic]])


ROUTES: Mapping[str, Route] = {
    "LearnerEnrolled": Route(plan_learner_enrolled, LEARNER),
    "LearnerEdited": Route(plan_learner_edited, LEARNER),
    "EmployerChanged": Route(plan_employer_changed, LEARNER),
    "QualificationChanged": Route(plan_qualification_changed, LEARNER),
    "IlrAimClosed": Route(plan_aim_closed, LEARNER),
    "BreakInLearning": Route(plan_break_in_learning, LEARNER),
    "RefreshRequested": Route(plan_refresh_requested, LEARNER, compare=True, then_pull=True),
    "LearnerOfficersChanged": Route(plan_learner_officers_changed, LEARNER),
    "ReconcileRequested": Route(plan_refresh_requested, LEARNER, current_record=True, compare=True),
    "OrganisationEdited": Route(plan_organisation_edited, ORGANISATION),
    "OfficerEdited": Route(plan_officer_edited, OFFICER),
    "OrganisationReconcileRequested": Route(plan_organisation_edited, ORGANISATION, current_record=True, compare=True),
    "OfficerReconcileRequested": Route(plan_officer_edited, OFFICER, current_record=True, compare=True),
    "QualificationProgress": Route(plan_progress, SA_LEARNER),
    "ReviewUpserted": Route(plan_review, SA_LEARNER),
    "OtjHoursTotal": Route(plan_otj, SA_LEARNER),
    "SmartCoachRisk": Route(plan_risk, SA_LEARNER),
    "LearnerDemographicsPulled": Route(plan_demographics, SA_LEARNER),
    "QualificationDatesPulled": Route(plan_qualification_dates, SA_LEARNER),
    "OfficerPulled": Route(plan_officer, SA_OFFICER),
    "OrganisationPulled": Route(plan_organisation, SA_ORGANISATION),
}
