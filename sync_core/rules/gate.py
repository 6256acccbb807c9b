"""The gate every pushed learner change passes first: X2 (in SA?) and Y2 (Live?), DOMAIN.md v2.

X2 (v2) an event about a learner not in SA is skipped "not in Smart Assessor", never parked: learners
   are edited before anyone presses "Create in Smart Assessor", and the enrolment carries the full
   after-image anyway, so nothing has to wait behind such an event.
Y2 (v2) a pushed change, an enrolment and a refresh apply to any Live learner in SA, eligible for the
   daily synchronisation or not (a withdrawal recorded two months late still reaches SA); a learner
   who is not Live is skipped "not live".
D7 (v2) the change is planned against ``Ref("learner", ident)`` behind an ``EnsureLearner``: while SA
   holds the linked record that costs no SA call; when SA answers not found, the executor looks for the
   learner again by MIS id, or makes it, and then sends the change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sync_core.fields import Lookups
from sync_core.plan import EnsureLearner, Plan, Ref, SaId, Skip, holding
from sync_core.rules.eligibility import is_live
from sync_core.rules.upload import upload_fields
from sync_core.settings import IntegrationSettings

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


def through_gate(
    learner: Mapping[str, Any], lookups: Lookups, settings: IntegrationSettings, plan: Callable[[SaId], Plan]
) -> Plan:
    """The gate (X2, Y2), then ``plan`` of the learner's SA record behind its ``EnsureLearner`` (D7): made
    again, if SA lost it, with what an upload sends (U1, U6), bar the welcome email it had (U7) and the
    employer and assessor, which a refresh links (U2, U3). A plan of Skips, or parked, goes as it is."""
    sa_id, gated = change_gate(learner, lookups)
    if sa_id is None:
        return gated
    ident = str(learner["learner_ident"])
    planned = plan(Ref("learner", ident))
    if holding(planned) is not None:
        return planned
    fields = upload_fields(learner, settings, None, None, welcome=False)
    return (EnsureLearner(ident, fields, sa_id=learner.get("smart_assessor_id")), *planned)
