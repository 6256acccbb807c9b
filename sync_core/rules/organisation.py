"""Organisation and officer edits: rules G1 and O1 of DOMAIN.md §4.

G1  S12 = Push: U2's organisation fields are set on the linked SA employer.
O1  S10 = Push: U3's officer fields are set on the linked SA assessor.
A record not linked to SA has nothing to update (it is linked or created when a learner needs it).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sync_core.plan import Plan, Skip, Update
from sync_core.rules.fields import ASSESSOR_FIELDS, EMPLOYER_FIELDS, Lookups, to_sa
from sync_core.settings import IntegrationSettings, Mode


def linked_id(record: Mapping[str, Any], entity: str, pics_id: str, lookups: Lookups) -> str | None:
    """The SA id of a PICS organisation or officer: its Additional ID, else our link."""
    additional: str | None = record.get("additional_id")
    return additional or lookups.sa_id(entity, pics_id)


def plan_organisation_edited(
    payload: Mapping[str, Any], settings: IntegrationSettings, lookups: Lookups, _on: date
) -> Plan:
    """OrganisationEdited → G1."""
    organisation = payload["organisation"]
    if settings.organisation_mode is not Mode.PUSH:
        return (Skip("organisation details are not pushed (S12)", rule="G1"),)
    sa_id = linked_id(organisation, "employer", str(organisation["organisation_id"]), lookups)
    if sa_id is None:
        return (Skip("organisation is not linked to a Smart Assessor employer", rule="G1"),)
    return (Update("employer", sa_id, to_sa(organisation, EMPLOYER_FIELDS)),)


def plan_officer_edited(
    payload: Mapping[str, Any], settings: IntegrationSettings, lookups: Lookups, _on: date
) -> Plan:
    """OfficerEdited → O1."""
    officer = payload["officer"]
    if settings.officer_mode is not Mode.PUSH:
        return (Skip("officer details are not pushed (S10)", rule="O1"),)
    sa_id = linked_id(officer, "assessor", str(officer["officer_id"]), lookups)
    if sa_id is None:
        return (Skip("officer is not linked to a Smart Assessor assessor", rule="O1"),)
    return (Update("assessor", sa_id, to_sa(officer, ASSESSOR_FIELDS)),)
