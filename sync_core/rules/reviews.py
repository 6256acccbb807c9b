"""SA sessions become PICS reviews: rules P2–P5 of DOMAIN.md §5.

P2  a session whose type is mapped (S17) is a PICS review, matched on its Smart Assessor System ID
    among that learner's reviews (v2: a group session has one SA id for several learners, and each
    gets its own review): none → create, one → update. A session of an unmapped type is not
    imported (skipped, counted).
P3  on create: a new Review Ident, the learner, the SA System ID, Review Type, Attended Status Unknown.
P4  on every sync: Review Type, Proposed Date and Time (the start), Actual Date and Time (when
    attended), Reviewer (the officer linked to the session's assessor), and Attended Status from
    SA's status (``ATTENDED_STATUS``; a planned session leaves it as it is).
P5  the session's SA assessor is ensured as a PICS officer (v2): an existing officer is looked for
    first (Additional ID = the SA id, then the same Email) and linked; only when there is none is one
    created (U3's fields, Additional ID = SA id), with an ASSO user, once, when S11 is on.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sync_core.fields import Lookups
from sync_core.pics_plan import EnsureOfficerFromSa, UpsertReview
from sync_core.plan import Plan, Skip, Step
from sync_core.settings import IntegrationSettings

ATTENDED_STATUS: Mapping[str, str] = {
    "attended": "Attended",
    "cancelled_learner": "Cancelled - Learner",
    "cancelled_assessor": "Cancelled - Assessor",
    "cancelled_employer": "Cancelled - Employer",
}
SESSION_STATUSES = ("planned", *ATTENDED_STATUS)  # every status SA may give (section 7); others: P14
UNKNOWN = "Unknown"


def every_sync(payload: Mapping[str, Any], review_type: str) -> dict[str, Any]:
    """P4's fields for this session."""
    fields: dict[str, Any] = {"review_type": review_type, "proposed_at": payload["start"]}
    status = ATTENDED_STATUS.get(payload["status"])
    if status is not None:  # planned: the attended status stays as PICS has it
        fields["attended_status"] = status
    if payload["status"] == "attended":
        fields["actual_at"] = payload.get("actual") or payload["start"]
    assessor = payload.get("assessor")
    fields["reviewer_sa_id"] = None if assessor is None else str(assessor["sa_assessor_id"])
    return fields


def plan_review(payload: Mapping[str, Any], settings: IntegrationSettings, _l: Lookups, _on: date) -> Plan:
    """ReviewUpserted → P2–P5."""
    review_type = settings.review_types.get(payload["session_type"])
    if review_type is None:
        return (Skip(f"session type {payload['session_type']!r} is not mapped to a review type", rule="P2"),)
    steps: list[Step] = []
    if payload.get("assessor") is not None:
        steps.append(EnsureOfficerFromSa(payload["assessor"], asso_user=settings.create_asso_users))
    on_create = {
        "learner_ident": payload["learner_ident"],
        "review_type": review_type,
        "attended_status": UNKNOWN,
    }
    sa_id = str(payload["sa_session_id"])
    steps.append(UpsertReview(sa_id, payload["learner_ident"], on_create, every_sync(payload, review_type)))
    return tuple(steps)
