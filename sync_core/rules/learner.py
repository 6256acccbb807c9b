"""Learner details pushed PICS → SA: rules L1–L5 (DOMAIN.md §4), under Y2 and X2.

L1  S6 = Push: the learner fields below are set in SA; Student ID = LRN too when S4 is on.
L2  ULN is push-only: part of L1's set, never pulled.
L3  Gender with S7 on and S6 = Push; Ethnicity with S8 on and S6 = Push.
L4  Disability whenever S9 is on, whatever S6 says.
L5  S6 = None or Update PICS…: nothing of L1/L3 is pushed.
Y2  a change is pushed for eligible learners only.
X2  a learner not yet in SA: the event is parked as "not enrolled".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Protocol

from sync_core.plan import Park, Plan, Skip, UpdateLearner
from sync_core.rules.eligibility import is_eligible
from sync_core.settings import IntegrationSettings, Mode

# PICS field (Avro / pics.learner column) → SA learner field: L1's set, ULN included (L2).
DEMOGRAPHICS: Mapping[str, str] = {
    "first_name": "firstName",
    "surname": "surname",
    "date_of_birth": "dateOfBirth",
    "uln": "uln",
    "email": "email",
    "address_1": "address1",
    "address_2": "address2",
    "address_3": "address3",
    "address_4": "address4",
    "postcode": "postcode",
    "ni_number": "niNumber",
    "phone_number": "phoneNumber",
    "mobile_number": "mobileNumber",
}


class Links(Protocol):
    """Looks up the SA id linked to a PICS record."""

    def sa_id(self, entity: str, pics_id: str) -> str | None: ...


def learner_sa_id(learner: Mapping[str, Any], links: Links) -> str | None:
    """The learner's SA id: PICS's Smart Assessor ID, else our link."""
    sa_id: str | None = learner.get("smart_assessor_id")
    return sa_id or links.sa_id("learner", str(learner["learner_ident"]))


def pushed_fields(learner: Mapping[str, Any], settings: IntegrationSettings) -> dict[str, Any]:
    """The SA fields and values that L1–L5 push for this learner after-image."""
    pushing = settings.learner_mode is Mode.PUSH
    fields: dict[str, Any] = {}
    if pushing:  # L1, L2
        fields.update({sa: _wire(learner.get(pics)) for pics, sa in DEMOGRAPHICS.items()})
        if settings.student_id_from_lrn:
            fields["studentId"] = learner.get("lrn")
    if pushing and settings.sync_gender:  # L3
        fields["gender"] = learner.get("gender")
    if pushing and settings.sync_ethnicity:  # L3
        fields["ethnicity"] = learner.get("ethnicity")
    if settings.send_disability:  # L4
        fields["disability"] = learner.get("disability")
    return fields


def plan_learner_edited(
    payload: Mapping[str, Any], settings: IntegrationSettings, links: Links, on: date
) -> Plan:
    """LearnerEdited → set the learner's SA fields that the settings push."""
    learner = payload["learner"]
    sa_id = learner_sa_id(learner, links)
    if not sa_id:
        return (Park("not enrolled", rule="X2"),)
    if not is_eligible(learner, sa_id, on):
        return (Skip("not eligible", rule="Y2"),)
    fields = pushed_fields(learner, settings)
    if not fields:
        return (Skip("learner details are not pushed under the settings", rule="L5"),)
    return (UpdateLearner(sa_id, fields),)


def _wire(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value
