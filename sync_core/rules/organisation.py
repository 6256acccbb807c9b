"""Organisation and officer edits: rules G1 and O1 of DOMAIN.md §4, and their daily comparison (D1).

G1  S12 = Push: U2's organisation fields are set on the linked SA employer.
O1  S10 = Push: U3's officer fields are set on the linked SA assessor.
D1  the daily synchronisation plans each linked organisation and officer with these rules too, from
    PICS's current record (OrganisationReconcileRequested, OfficerReconcileRequested).
A record not linked to SA has nothing to update (it is linked or created when a learner needs it).
The update names the PICS record it is about (a ``Ref``, resolved by the link step before it to the
Additional ID, else our link), so what compare mode finds is recorded under the organisation or officer
(D3) even when several PICS records share one SA record (U2 v2).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sync_core.fields import ASSESSOR_FIELDS, EMPLOYER_FIELDS, Lookups, to_sa
from sync_core.plan import EnsureAssessor, EnsureEmployer, Plan, Ref, Skip, Update
from sync_core.settings import IntegrationSettings, Mode


def linked_id(record: Mapping[str, Any], entity: str, pics_id: str, lookups: Lookups) -> str | None:
    """The SA id of a PICS organisation or officer: its Additional ID, else our link."""
    additional: str | None = record.get("additional_id")
    return additional or lookups.sa_id(entity, pics_id)


def _plan_record_edited(
    record: Mapping[str, Any], pics_id: str, mode: Mode, kind: str, lookups: Lookups, rule: str
) -> Plan:
    if mode is not Mode.PUSH:
        return (Skip(f"{kind} details are not pushed under the settings", rule=rule),)
    if linked_id(record, kind, pics_id, lookups) is None:
        return (Skip(f"not linked to a Smart Assessor {kind}", rule=rule),)
    # Linked, so the Ensure step only resolves the link (no SA call) unless SA no longer holds the record:
    # then it is looked for again by natural key, or made (D7).
    link = EnsureEmployer(record) if kind == "employer" else EnsureAssessor(record)
    fields = EMPLOYER_FIELDS if kind == "employer" else ASSESSOR_FIELDS
    return (link, Update(kind, Ref(kind, pics_id), to_sa(record, fields)))


def plan_organisation_edited(
    payload: Mapping[str, Any], settings: IntegrationSettings, lookups: Lookups, _on: date
) -> Plan:
    """OrganisationEdited, OrganisationReconcileRequested → G1 (S12)."""
    organisation = payload["organisation"]
    pics_id = str(organisation["organisation_id"])
    return _plan_record_edited(organisation, pics_id, settings.organisation_mode, "employer", lookups, "G1")


def plan_officer_edited(payload: Mapping[str, Any], settings: IntegrationSettings, lookups: Lookups, _on: date) -> Plan:
    """OfficerEdited, OfficerReconcileRequested → O1 (S10)."""
    officer = payload["officer"]
    pics_id = str(officer["officer_id"])
    return _plan_record_edited(officer, pics_id, settings.officer_mode, "assessor", lookups, "O1")
