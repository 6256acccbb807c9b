"""Organisation and officer edits: rules G1 and O1 of DOMAIN.md §4.

G1  S12 = Push: U2's organisation fields are set on the linked SA employer.
O1  S10 = Push: U3's officer fields are set on the linked SA assessor.
A record not linked to SA has nothing to update (it is linked or created when a learner needs it).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sync_core.fields import ASSESSOR_FIELDS, EMPLOYER_FIELDS, Lookups, to_sa
from sync_core.plan import Plan, Skip, Update
from sync_core.settings import IntegrationSettings, Mode


def linked_id(record: Mapping[str, Any], entity: str, pics_id: str, lookups: Lookups) -> str | None:
    """The SA id of a PICS organisation or officer: its Additional ID, else our link."""
    additional: str | None = record.get("additional_id")
    return additional or lookups.sa_id(entity, pics_id)


def _plan_record_edited(
    record: Mapping[str, Any], linked: str | None, mode: Mode, kind: str, fields: Mapping[str, str], rule: str
) -> Plan:
    if mode is not Mode.PUSH:
        return (Skip(f"{kind} details are not pushed under the settings", rule=rule),)
    if linked is None:
        return (Skip(f"not linked to a Smart Assessor {kind}", rule=rule),)
    return (Update(kind, linked, to_sa(record, fields)),)


def plan_organisation_edited(
    payload: Mapping[str, Any], settings: IntegrationSettings, lookups: Lookups, _on: date
) -> Plan:
    """OrganisationEdited → G1 (S12)."""
    organisation = payload["organisation"]
    linked = linked_id(organisation, "employer", str(organisation["organisation_id"]), lookups)
    return _plan_record_edited(organisation, linked, settings.organisation_mode, "employer", EMPLOYER_FIELDS, "G1")


def plan_officer_edited(payload: Mapping[str, Any], settings: IntegrationSettings, lookups: Lookups, _on: date) -> Plan:
    """OfficerEdited → O1 (S10)."""
    officer = payload["officer"]
    linked = linked_id(officer, "assessor", str(officer["officer_id"]), lookups)
    return _plan_record_edited(officer, linked, settings.officer_mode, "assessor", ASSESSOR_FIELDS, "O1")
