"""The daily pull's items applied to PICS: rules P1 and P6–P13 of DOMAIN.md §5.

P1  course progress → Elements Done; Total Elements from SA whenever SA has a total (v2), so Done
    never exceeds Total.
P6  Actual OTJ Hours = SA's total, every sync.
P7  S16 = Update PICS…: SA course start / planned end → the qualification's dates.
P8  S5 on: Smart Coach band High / Medium / Low → PICS Risk Red / Yellow / Green. A learner with no
    score (not in Smart Coach, no score yet) has no SmartCoachRisk item at all: Risk stays (v2).
P9  S6 = Update PICS…: L1's fields but ULN from SA; gender with S7, ethnicity with S8; never disability.
P10 S10 = Update PICS…: U3's fields to the linked officer.   P11 S12 likewise for organisations.
P12 an update equal to the PICS row writes nothing (the PICS executor's job).
P13 an empty SA value never overwrites PICS: ``SetPics`` drops it (``sync_core.pics_plan``).
D1  P7 and P9-P11 are the Pull direction of the synchronisation of differences: each field they change
    is recorded as a difference pulled (D3); progress, hours and risk are SA's own data, not differences.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sync_core.fields import ASSESSOR_FIELDS, DEMOGRAPHICS, EMPLOYER_FIELDS, Lookups
from sync_core.pics_plan import SetPics
from sync_core.plan import Plan, Skip
from sync_core.settings import IntegrationSettings, Mode

RISK = {"High": "Red", "Medium": "Yellow", "Low": "Green"}  # P8
PULLED_DEMOGRAPHICS = tuple(name for name in DEMOGRAPHICS if name != "uln")  # P9: ULN never pulled (L2)


def plan_progress(payload: Mapping[str, Any], _s: IntegrationSettings, _l: Lookups, _on: date) -> Plan:
    """QualificationProgress → P1 (no total from SA: SetPics leaves PICS's as it is)."""
    figures = {"elements_done": payload["elements_done"], "total_elements": payload.get("elements_total")}
    return (SetPics("learner_qualification", payload["qualification_id"], figures),)


def plan_otj(payload: Mapping[str, Any], _s: IntegrationSettings, _l: Lookups, _on: date) -> Plan:
    """OtjHoursTotal → P6."""
    return (SetPics("learner", payload["learner_ident"], {"actual_otj_hours": payload["actual_hours"]}),)


def plan_qualification_dates(payload: Mapping[str, Any], settings: IntegrationSettings, _l: Lookups, _on: date) -> Plan:
    """QualificationDatesPulled → P7 (P13: a date SA holds none of is left as PICS has it)."""
    if settings.qualification_dates_mode is not Mode.PULL:
        return (Skip("qualification dates are pushed, not pulled (S16)", rule="P7"),)
    dates = {"start_date": payload.get("start_date"), "planned_end_date": payload.get("planned_end_date")}
    return (SetPics("learner_qualification", payload["qualification_id"], dates, drift="enrolment"),)


def plan_risk(payload: Mapping[str, Any], settings: IntegrationSettings, _l: Lookups, _on: date) -> Plan:
    """SmartCoachRisk → P8."""
    if not settings.risk_from_smart_coach:
        return (Skip("Smart Coach risk is not used (S5 off)", rule="P8"),)
    risk = RISK.get(payload["band"])
    if risk is None:  # the pull drops such an item (P14); an event from elsewhere still leaves Risk alone
        return (Skip(f"unknown Smart Coach band {payload['band']!r}", rule="P8"),)
    return (SetPics("learner", payload["learner_ident"], {"risk": risk}),)


def pulled_demographics(payload: Mapping[str, Any], settings: IntegrationSettings) -> dict[str, Any]:
    """The PICS learner fields P9 takes from SA under the settings."""
    fields = {name: payload.get(name) for name in PULLED_DEMOGRAPHICS}
    if settings.sync_gender:
        fields["gender"] = payload.get("gender")
    if settings.sync_ethnicity:
        fields["ethnicity"] = payload.get("ethnicity")
    return fields


def plan_demographics(payload: Mapping[str, Any], settings: IntegrationSettings, _l: Lookups, _on: date) -> Plan:
    """LearnerDemographicsPulled → P9 (P13: SA's blanks are not written)."""
    if settings.learner_mode is not Mode.PULL:
        return (Skip("learner details are not pulled (S6)", rule="P9"),)
    return (SetPics("learner", payload["learner_ident"], pulled_demographics(payload, settings), drift="learner"),)


def plan_officer(payload: Mapping[str, Any], settings: IntegrationSettings, _l: Lookups, _on: date) -> Plan:
    """OfficerPulled → P10 (P13: SA's blanks are not written)."""
    if settings.officer_mode is not Mode.PULL:
        return (Skip("officer details are not pulled (S10)", rule="P10"),)
    fields = {name: payload.get(name) for name in ASSESSOR_FIELDS}
    resource = _resource("assessor", payload.get("sa_assessor_id"))
    return (SetPics("officer", payload["officer_id"], fields, drift="assessor", sa_resource=resource),)


def plan_organisation(payload: Mapping[str, Any], settings: IntegrationSettings, _l: Lookups, _on: date) -> Plan:
    """OrganisationPulled → P11 (P13: SA's blanks are not written)."""
    if settings.organisation_mode is not Mode.PULL:
        return (Skip("organisation details are not pulled (S12)", rule="P11"),)
    fields = {name: payload.get(name) for name in EMPLOYER_FIELDS}
    resource = _resource("employer", payload.get("sa_employer_id"))
    return (SetPics("organisation", payload["organisation_id"], fields, drift="employer", sa_resource=resource),)


def _resource(kind: str, sa_id: Any) -> str | None:
    """The drift record's name of the SA record an item was read from (D3)."""
    return None if sa_id is None else f"{kind}:{sa_id}"
