"""Applies PICS plans (the daily pull's side) to PICS; counts the rows that changed (P12)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sync_core.execute.executor import Effects
from sync_core.fields import ASSESSOR_FIELDS
from sync_core.pics_plan import EnsureOfficerFromSa, SetPics, UpsertReview
from sync_core.plan import Plan, Report


class PicsWriter(Protocol):
    """The PICS writes a pull plan needs (``sync_core.pics.updates.PicsUpdates``)."""

    def set_row(self, table: str, key: str, fields: Mapping[str, Any], fill: Mapping[str, Any]) -> int: ...
    def officer_for_sa(self, sa_assessor_id: str) -> str | None: ...
    def create_officer(self, officer_id: str, fields: Mapping[str, Any], asso_login: str | None) -> int: ...
    def upsert_review(self, sa_system_id: str, on_create: Mapping[str, Any], every_sync: Mapping[str, Any]) -> int: ...


@dataclass
class _Run:
    pics: PicsWriter
    changed: int = 0


def execute_pics(plan: Plan, pics: PicsWriter) -> Effects:
    """Apply the plan; ``Effects.pics_rows_changed`` counts rows that really changed."""
    run, reports = _Run(pics), []
    for step in plan:
        match step:
            case SetPics(table=table, key=key, fields=fields, fill=fill):
                run.changed += pics.set_row(table, key, fields, fill)
            case EnsureOfficerFromSa():
                _ensure_officer(run, step)
            case UpsertReview():
                _upsert_review(run, step)
            case Report(reason=reason, rule=rule):
                reports.append(f"{reason} ({rule})")
    return Effects(reports=tuple(reports), pics_rows_changed=run.changed)


def new_officer_id(sa_assessor_id: str) -> str:
    """The PICS id of an officer created from an SA assessor (P5): stable, so a replay finds it."""
    return f"SA-{sa_assessor_id}"


def _ensure_officer(run: _Run, step: EnsureOfficerFromSa) -> None:
    sa_id = str(step.assessor["sa_assessor_id"])
    if run.pics.officer_for_sa(sa_id) is not None:
        return
    fields = {name: step.assessor.get(name) for name in ASSESSOR_FIELDS} | {"additional_id": sa_id}
    login = (step.assessor.get("email") or new_officer_id(sa_id)) if step.asso_user else None
    run.changed += run.pics.create_officer(new_officer_id(sa_id), fields, login)


def _upsert_review(run: _Run, step: UpsertReview) -> None:
    every = dict(step.every_sync)
    reviewer_sa_id = every.pop("reviewer_sa_id", None)
    if reviewer_sa_id is not None:
        every["reviewer_id"] = run.pics.officer_for_sa(reviewer_sa_id)
    run.changed += run.pics.upsert_review(step.sa_system_id, step.on_create, every)
