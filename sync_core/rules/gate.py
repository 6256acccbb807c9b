"""The gate every learner-scoped change passes first: X2 (enrolled in SA?) and Y2 (eligible?)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sync_core.fields import Lookups
from sync_core.plan import Park, Plan, Skip
from sync_core.rules.eligibility import LIVE, is_eligible


def learner_sa_id(learner: Mapping[str, Any], lookups: Lookups) -> str | None:
    """The learner's SA id: PICS's Smart Assessor ID, else our link."""
    sa_id: str | None = learner.get("smart_assessor_id")
    return sa_id or lookups.sa_id("learner", str(learner["learner_ident"]))


def change_gate(
    learner: Mapping[str, Any], lookups: Lookups, on: date, *, live_only: bool = False
) -> tuple[str | None, Plan]:
    """(SA id, ()) when a change may be pushed; (None, plan that parks or skips) otherwise.

    ``live_only`` relaxes Y1 to "Live and in SA", for a refresh (Y2) and a break (B1–B2).
    """
    sa_id = learner_sa_id(learner, lookups)
    if not sa_id:
        return None, (Park("not enrolled", rule="X2"),)
    eligible = learner.get("system_status") == LIVE if live_only else is_eligible(learner, sa_id, on)
    if not eligible:
        return None, (Skip("not eligible", rule="Y2"),)
    return sa_id, ()
