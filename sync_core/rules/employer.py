"""A learner's employer changes: rule E1 of DOMAIN.md §4."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sync_core.fields import Lookups
from sync_core.plan import EnsureEmployer, Plan, Ref, SaId, Skip, Step, update_learner
from sync_core.rules.gate import through_gate
from sync_core.settings import IntegrationSettings


def plan_employer(sa_id: SaId, placement: Mapping[str, Any] | None) -> tuple[Step, ...]:
    """E1: the learner's SA employer becomes the placement's, linked or created by U2."""
    if placement is None:
        return ()
    employer = Ref("employer", str(placement["organisation_id"]))
    return (EnsureEmployer(placement), update_learner(sa_id, {"employerId": employer}))


def plan_employer_changed(
    payload: Mapping[str, Any], settings: IntegrationSettings, lookups: Lookups, _on: date
) -> Plan:
    """EmployerChanged → with S13 on, move the SA learner to the new placement's employer."""
    if not settings.push_employer_changes:
        return (Skip("employer changes are not pushed (S13 off)", rule="E1"),)

    def moved(sa_id: SaId) -> Plan:
        return plan_employer(sa_id, payload["placement"]) or (Skip("the learner has no placement", rule="E1"),)

    return through_gate(payload["learner"], lookups, settings, moved)
