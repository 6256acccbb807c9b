"""The rich world's own changes: each one a case that DOMAIN v2 decides apart.

A late upload of a learner edited before it (X2), an aim closed long after the learner ended (A1,
Y2), the learner's officers changed (Q1's LearnerOfficersChanged), a qualification added after the
upload (U5), a ULN obtained later (L2), a learner leaving Live (Y2). Each picks its own learner when
the one offered does not fit, and returns None when no learner does (the caller picks another change).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sandbox.pics.world import IQA, MAIN, NOT_LIVE, SKILLS_COACH, UNSUPPORTED_REFERENCE, Emitted, World

LEARNER = "pics.learner"
CLOSED_LATE = (1, 2, 3, 4, 6)  # every completion status a closure may carry (A1)


def _pick(world: World, idents: list[str]) -> str | None:
    return world.people.rng.choice(sorted(idents)) if idents else None


def enrol_late(world: World, _ident: str) -> Emitted | None:
    """A held-back learner, edited already, is uploaded now ("Create in Smart Assessor")."""
    waiting = [i for i, kind in world.kinds.items() if kind == "held_back" and i not in world.uploaded]
    ident = _pick(world, [i for i in waiting if world.events_about[i]])
    return None if ident is None else world.enrolment(ident)


def close_late(world: World, _ident: str) -> Emitted | None:
    """An aim of a learner who ended long ago is closed now, dated then (A1 applies however late, Y2)."""
    late = [i for i, kind in world.kinds.items() if kind == "ended_long_ago" and world.in_sa(i)]
    ident = _pick(world, [i for i in late if world.open_qualification(i) is not None])
    if ident is None:
        return None
    qualification = world.open_qualification(ident)
    assert qualification is not None
    world.close(qualification, world.learners[ident]["end_date"], statuses=CLOSED_LATE)
    payload = {"learner": world.learners[ident], "qualification": qualification}
    return Emitted(LEARNER, ident, "IlrAimClosed", payload, ["actual_end_date", "completion_status", "outcome"])


def change_officers(world: World, ident: str) -> Emitted | None:
    """A new Main Officer, a new officer in another role, or a role left empty (LearnerOfficersChanged)."""
    rng, roles = world.people.rng, world.roles[ident]
    roll = rng.random()
    if roll >= 0.85:
        removable = sorted(role for role in roles if role != MAIN)
        if not removable:
            return None
        del roles[rng.choice(removable)]
        return officers_changed(world, ident)
    role = MAIN if roll < 0.5 else rng.choice((IQA, SKILLS_COACH))
    free = [o for o in world.assignable_officers() if o not in roles.values()]
    if not free:
        return None
    roles[role] = rng.choice(free)
    return officers_changed(world, ident)


def officers_changed(world: World, ident: str) -> Emitted:
    """LearnerOfficersChanged with the learner's officers and qualifications as they are now."""
    payload = {"learner": world.learners[ident], "officers": world.officers_of(ident),
               "qualifications": world.qualifications[ident]}  # fmt: skip
    return Emitted(LEARNER, ident, "LearnerOfficersChanged", payload, ["officers"])


def add_qualification(world: World, ident: str) -> Emitted | None:
    """A qualification added in PICS after the upload (a quarter of them unsupported), then changed (U5)."""
    if not world.in_sa(ident) or ident in world.on_break:
        return None
    rng, qualifications = world.people.rng, world.qualifications[ident]
    supported = rng.random() < 0.75
    reference = rng.choice(sorted(world.supported)) if supported else UNSUPPORTED_REFERENCE
    start = world.today() + timedelta(days=rng.randint(0, 30))
    added: dict[str, Any] = {
        "qualification_id": f"{ident}-N{len(qualifications)}", "qualification_reference": reference,
        "title": f"Course {reference}", "start_date": start, "planned_end_date": start + timedelta(days=365),
        "actual_end_date": None, "assessor": None, "completion_status": 1, "outcome": None,
    }  # fmt: skip
    qualifications.append(added)
    payload = {"learner": world.learners[ident], "qualification": added, "officers": world.officers_of(ident)}
    return Emitted(LEARNER, ident, "QualificationChanged", payload, ["qualification_reference"])


def obtain_uln(world: World, _ident: str) -> Emitted | None:
    """A learner with no ULN gets one (LearnerEdited of ULN: L2 pushes it in the pull mode too)."""
    ident = _pick(world, [i for i, learner in world.learners.items() if learner["uln"] is None])
    if ident is None:
        return None
    world.learners[ident]["uln"] = world.people.uln()
    return Emitted(LEARNER, ident, "LearnerEdited", {"learner": world.learners[ident]}, ["uln"])


def leave_live(world: World, ident: str) -> Emitted | None:
    """A plain learner's system status leaves Live: from now on its events are skipped "not live" (Y2)."""
    if world.kinds.get(ident) != "plain" or not world.in_sa(ident) or ident in world.on_break:
        return None
    world.learners[ident]["system_status"] = NOT_LIVE
    return Emitted(LEARNER, ident, "LearnerEdited", {"learner": world.learners[ident]}, ["system_status"])
