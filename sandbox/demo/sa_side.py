"""What SA's users do overnight, before the daily pull: assessors added by hand, and the sessions,
hours, progress and Smart Coach scores the sandbox simulates (with group sessions, learners not in
Smart Coach or with no score yet, and, where the profile asks for them, blanks: ``sandbox.sa.simulation``).

An assessor added by hand in SA carries the Email of a PICS officer that no learner has (a spare):
PICS already has that officer, so the pull must link it, not create a second (P5 v2). Two learners in
learning each have a mapped session with it; their own SA assessor stays PICS's Main Officer's.

None of this is an edit of what PICS owns, so the daily run's comparison finds no difference in it
(D1): SA blanks are drawn only for a profile whose modes pull every field they touch (P13), and the
edits PICS must win back are a profile's own (``hand_edits``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sandbox.demo.hand_edits import Hands
from sandbox.pics.world import World
from sync_core.smart_assessor.client import SaClient

# The simulation's v2 cases, in shares large enough that a small run has each of them (blanks: BLANKS).
MIX = {"groupSessions": 0.15, "notInSmartCoach": 0.1, "noScoreYet": 0.1}
BLANKS = 0.15


class Night(Hands, Protocol):
    """The sandbox's controls the night and the hand edits need (``sandbox.sa.process.SaSandboxProcess``)."""

    def simulate_activity_counts(
        self, seed: int, learner_ids: list[str] | None = None, **mix: float
    ) -> dict[str, int]: ...

    def set_activity(self, learner_id: str, **activity: Any) -> dict[str, Any]: ...


def add_assessors_by_hand(sa: SaClient, world: World, learners: Mapping[str, str]) -> dict[int, list[str]]:
    """For each spare officer an SA assessor with its Email, to hold sessions with two learners in SA:
    SA assessor id → those learners' SA ids."""
    made, idents = {}, sorted(learners)
    for n, officer_id in enumerate(world.spare_officers):
        officer = world.officers[officer_id]
        created = sa.create_assessor({
            "misId": f"{world.prefix}HAND{n}", "firstName": officer["first_name"], "surname": officer["surname"],
            "email": officer["email"],
        })  # fmt: skip
        made[int(created["id"])] = [learners[ident] for ident in idents[2 * n : 2 * n + 2]]
    return made


def sessions_with(assessor_id: int) -> list[dict[str, Any]]:
    """An attended Formal Review and a planned Gateway Ready with the assessor (both mapped, S17)."""
    start = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(days=7)
    held = {"type": "Formal Review", "start": _written(start), "durationMinutes": 60, "assessorId": assessor_id}
    planned = {"type": "Gateway Ready", "start": _written(start + timedelta(days=14)), "durationMinutes": 30}
    return [held | {"status": "attended"}, planned | {"assessorId": assessor_id, "status": "planned"}]


def _written(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def overnight(
    sa: SaClient,
    world: World,
    in_learning: Mapping[str, str],
    in_sa: Mapping[str, str],
    seed: int,
    night: Night | None,
    *,
    blanks: bool = False,
) -> dict[str, Any]:
    """SA's users at work: assessors added for learners ``in_learning``, activity for every learner ``in_sa``
    (each: Learner Ident → SA id), and with ``blanks`` some of SA's details left blank (P13)."""
    hand_made = add_assessors_by_hand(sa, world, in_learning)
    if night is None:
        return {"assessors_added_by_hand": len(hand_made)}
    done = night.simulate_activity_counts(seed, sorted(in_sa.values()), **MIX, blanks=BLANKS if blanks else 0.0)
    for assessor_id, learners in hand_made.items():
        for learner_id in learners:
            night.set_activity(learner_id, sessions=sessions_with(assessor_id))
    return {"assessors_added_by_hand": len(hand_made), **done}
