"""Learner details pushed PICS → SA: rules L1–L5 (DOMAIN.md §4), under Y2 and X2.

L1  S6 = Push: the learner fields of ``DEMOGRAPHICS`` are set in SA; Student ID = LRN too with S4.
L2  ULN is push-only: part of L1's set, and (v2) still pushed under S6 = Update PICS…; never pulled.
L3  Gender with S7 on and S6 = Push; Ethnicity with S8 on and S6 = Push.
L4  Disability whenever S9 is on, whatever S6 says.
L5  S6 = None or Update PICS…: nothing of L1/L3 is pushed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sync_core.fields import DEMOGRAPHICS, Lookups, to_sa
from sync_core.plan import Plan, SaId, Skip, update_learner
from sync_core.rules.gate import through_gate
from sync_core.settings import IntegrationSettings, Mode


def pushed_fields(learner: Mapping[str, Any], settings: IntegrationSettings) -> dict[str, Any]:
    """The SA fields and values that L1–L5 push for this learner after-image."""
    pushing = settings.learner_mode is Mode.PUSH
    fields: dict[str, Any] = {}
    if pushing:  # L1, L2
        fields.update(to_sa(learner, DEMOGRAPHICS))
        if settings.student_id_from_lrn:
            fields["studentId"] = learner.get("lrn")
    elif settings.learner_mode is Mode.PULL:  # L2 v2: "the ULN field can only be pushed from PICS"
        fields.update(to_sa(learner, {"uln": DEMOGRAPHICS["uln"]}))
    if pushing and settings.sync_gender:  # L3
        fields["gender"] = learner.get("gender")
    if pushing and settings.sync_ethnicity:  # L3
        fields["ethnicity"] = learner.get("ethnicity")
    if settings.send_disability:  # L4
        fields["disability"] = learner.get("disability")
    return fields


def plan_details(sa_id: SaId, learner: Mapping[str, Any], settings: IntegrationSettings) -> Plan:
    """The learner's details step (L1–L5) for a learner known to SA."""
    fields = pushed_fields(learner, settings)
    if not fields:
        return (Skip("learner details are not pushed under the settings", rule="L5"),)
    return (update_learner(sa_id, fields),)


def plan_learner_edited(payload: Mapping[str, Any], settings: IntegrationSettings, lookups: Lookups, _on: date) -> Plan:
    """LearnerEdited → set the learner's SA fields that the settings push."""
    learner = payload["learner"]
    return through_gate(learner, lookups, settings, lambda sa_id: plan_details(sa_id, learner, settings))
