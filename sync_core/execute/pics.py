"""Applies PICS plans (the daily pull's side) to PICS; counts the rows that changed (P12).

P5 is decided here: the officer of an SA assessor is the one whose Additional ID is the SA id, else
the one with the same Email (case-insensitive), linked by writing the SA id to its Additional ID when
that is blank; only when PICS has neither is an officer created, ``SA-<id>``, with its ASSO user.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from sync_core.drift.compare import Difference
from sync_core.execute.executor import Effects
from sync_core.fields import ASSESSOR_FIELDS, PULLED_AS
from sync_core.pics_plan import EnsureOfficerFromSa, SetPics, UpsertReview, blank
from sync_core.plan import Plan, Report


class PicsWriter(Protocol):
    """The PICS writes a pull plan needs (``sync_core.pics.updates.PicsUpdates``)."""

    def set_row(self, table: str, key: str, fields: Mapping[str, Any]) -> tuple[str, ...]: ...  # those changed
    def find_officer(self, sa_assessor_id: str, email: str | None) -> str | None: ...
    def link_officer(self, officer_id: str, sa_assessor_id: str) -> int: ...
    def create_officer(self, officer_id: str, fields: Mapping[str, Any], asso_login: str | None) -> int: ...
    def upsert_review(
        self, learner_ident: str, sa_system_id: str, on_create: Mapping[str, Any], every_sync: Mapping[str, Any]
    ) -> int: ...


@dataclass
class _Run:
    pics: PicsWriter
    changed: int = 0
    differences: list[Difference] = field(default_factory=list)  # D1, D3: the Pull-direction fields changed
    officers: dict[str, str] = field(default_factory=dict)  # SA assessor id → PICS officer, this plan


def execute_pics(plan: Plan, pics: PicsWriter) -> Effects:
    """Apply the plan; ``Effects.pics_rows_changed`` counts rows that really changed, ``differences`` the
    Pull-direction fields a write changed (D1, D3: a value PICS did not hold, so a difference pulled)."""
    run, reports = _Run(pics), []
    for step in plan:
        match step:
            case SetPics(table=table, key=key, fields=fields, drift=entity, sa_resource=resource):
                changed = pics.set_row(table, key, fields)
                run.changed += bool(changed)
                if entity is not None:
                    named = PULLED_AS[table]
                    run.differences += [
                        Difference(entity, resource, key, named.get(name, name), "pull", "pulled") for name in changed
                    ]
            case EnsureOfficerFromSa():
                _ensure_officer(run, step)
            case UpsertReview():
                _upsert_review(run, step)
            case Report(reason=reason, rule=rule):
                reports.append(f"{reason} ({rule})")
    return Effects(reports=tuple(reports), pics_rows_changed=run.changed, differences=tuple(run.differences))


def new_officer_id(sa_assessor_id: str) -> str:
    """The PICS id of an officer created from an SA assessor (P5): stable, so a replay finds it."""
    return f"SA-{sa_assessor_id}"


def _ensure_officer(run: _Run, step: EnsureOfficerFromSa) -> None:
    sa_id = str(step.assessor["sa_assessor_id"])
    email = None if blank(step.assessor.get("email")) else str(step.assessor["email"])  # "" matches no one
    found = run.pics.find_officer(sa_id, email)
    if found is not None:
        run.changed += run.pics.link_officer(found, sa_id)  # only where its Additional ID is blank
        run.officers[sa_id] = found
        return
    officer_id = new_officer_id(sa_id)
    fields = {name: step.assessor.get(name) for name in ASSESSOR_FIELDS} | {"additional_id": sa_id}
    login = (email or officer_id) if step.asso_user else None
    run.changed += run.pics.create_officer(officer_id, fields, login)
    run.officers[sa_id] = officer_id


def _upsert_review(run: _Run, step: UpsertReview) -> None:
    every = dict(step.every_sync)
    reviewer_sa_id = every.pop("reviewer_sa_id", None)
    if reviewer_sa_id is not None:  # P4: the officer P5 ensured just before, else the one linked
        every["reviewer_id"] = run.officers.get(reviewer_sa_id) or run.pics.find_officer(reviewer_sa_id, None)
    run.changed += run.pics.upsert_review(step.learner_ident, step.sa_system_id, step.on_create, every)
