"""The gate every pushed learner change passes first: X2 (in SA?) and Y2 (Live?), DOMAIN.md v2.

X2 (v2) an event about a learner not in SA is skipped "not in Smart Assessor", never parked: learners
   are edited before anyone presses "Create in Smart Assessor", and the enrolment carries the full
   after-image anyway, so nothing has to wait behind such an event.
Y2 (v2) a pushed change, an enrolment and a refresh apply to any Live learner in SA, eligible for the
   daily synchronisation or not (a withdrawal recorded two months late still reaches SA); a learner
   who is not Live is skipped "not live".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync_core.fields import Lookups
from sync_core.plan import Plan, Skip
from sync_core.rules.eligibility import is_live

NOT_IN_SA = Skip("not in Smart Assessor", rule="X2")
NOT_LIVE = Skip("not live", rule="Y2")


def learner_sa_id(learner: Mapping[str, Any], lookups: Lookups) -> str | None:
    """The learner's SA id: PICS's Smart Assessor ID, else our link."""
    sa_id: str | None = learner.get("smart_assessor_id")
    return sa_id or lookups.sa_id("learner", str(learner["learner_ident"]))


def change_gate(learner: Mapping[str, Any], lookups: Lookups) -> tuple[str | None, Plan]:
    """(SA id, ()) when a change may be pushed; (None, the plan that skips it) otherwise."""
    if not is_live(learner):
        return None, (NOT_LIVE,)
    sa_id = learner_sa_id(learner, lookups)
    if not sa_id:
        return None, (NOT_IN_SA,)
    return sa_id, ()
