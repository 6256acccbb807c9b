"""The changes PICS users make, one function each, in the demo's mix of every PICS event type.

Each function changes the world and returns the event PICS emits for it, or None when the change
does not apply to that record (the caller then picks another).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from sandbox.pics.world import Emitted, World

LEARNER = "pics.learner"


def edit_learner(world: World, ident: str) -> Emitted | None:
    """A learner's details edited (LearnerEdited)."""
    world.learners[ident], changed = world.people.edit(world.learners[ident])
    return Emitted(LEARNER, ident, "LearnerEdited", {"learner": world.learners[ident]}, changed)


def change_employer(world: World, ident: str) -> Emitted | None:
    """The learner's placement moves to another organisation already in SA (EmployerChanged)."""
    linked = [o for o, org in world.organisations.items() if org["additional_id"] and o != world.placement[ident]]
    if not linked:
        return None
    previous, world.placement[ident] = world.placement[ident], world.people.rng.choice(linked)
    payload = {"learner": world.learners[ident], "placement": world.organisations[world.placement[ident]],
               "previous_organisation_id": previous}  # fmt: skip
    return Emitted(LEARNER, ident, "EmployerChanged", payload, ["placement"])


def change_qualification(world: World, ident: str) -> Emitted | None:
    """A qualification's planned end date or assessor changes (QualificationChanged)."""
    qualification = world.open_qualification(ident)
    if qualification is None:
        return None
    if world.people.rng.random() < 0.5:
        qualification["planned_end_date"] += timedelta(days=world.people.rng.randint(7, 90))
        changed = ["planned_end_date"]
    else:
        linked = [o for o in world.officers.values() if o["additional_id"]]
        qualification["assessor"] = world.people.rng.choice(linked) if linked else None
        changed = ["assessor"]
    payload = {
        "learner": world.learners[ident],
        "qualification": qualification,
        "officers": world.officers_of(ident),
    }
    return Emitted(LEARNER, ident, "QualificationChanged", payload, changed)


def close_aim(world: World, ident: str) -> Emitted | None:
    """An ILR aim is closed as completed and achieved (IlrAimClosed)."""
    qualification = world.open_qualification(ident)
    if qualification is None:
        return None
    qualification.update(actual_end_date=world.today(), completion_status=2, outcome=1)
    payload = {"learner": world.learners[ident], "qualification": qualification}
    return Emitted(LEARNER, ident, "IlrAimClosed", payload, ["actual_end_date", "completion_status", "outcome"])


def start_break(world: World, ident: str) -> Emitted | None:
    """The learner starts a break: every open aim to status 6 ending today (BreakInLearning start)."""
    for qualification in world.qualifications[ident]:
        if qualification["completion_status"] == 1:
            qualification.update(completion_status=6, actual_end_date=world.today())
    world.learners[ident]["programme_status"] = "Break in learning"
    world.on_break.add(ident)
    return _break(world, ident, "start")


def end_break(world: World, ident: str) -> Emitted | None:
    """The learner returns: aims on the break continue (BreakInLearning return)."""
    for qualification in world.qualifications[ident]:
        if qualification["completion_status"] == 6:
            qualification.update(completion_status=1, actual_end_date=None)
    world.learners[ident]["programme_status"] = "In Learning"
    world.on_break.discard(ident)
    return _break(world, ident, "return")


def _break(world: World, ident: str, phase: str) -> Emitted:
    payload = {"learner": world.learners[ident], "phase": phase, "break_date": world.today(),
               "qualifications": world.qualifications[ident]}  # fmt: skip
    return Emitted(LEARNER, ident, "BreakInLearning", payload, ["programme_status"])


def refresh(world: World, ident: str) -> Emitted | None:
    """A user asks for "Update Learner In Smart Assessor" (RefreshRequested)."""
    return Emitted(LEARNER, ident, "RefreshRequested", world.full_state(ident), [])


def edit_organisation(world: World, _ident: str) -> Emitted | None:
    """An organisation already in SA is edited (OrganisationEdited)."""
    linked = [o for o in world.organisations.values() if o["additional_id"]]
    if not linked:
        return None
    organisation = world.people.rng.choice(linked)
    organisation.update(phone_number=world.people.fake.phone_number(), website=f"https://{world.people.uln()}.example")
    return Emitted("pics.organisation", organisation["organisation_id"], "OrganisationEdited",
                   {"organisation": organisation}, ["phone_number", "website"])  # fmt: skip


def edit_officer(world: World, _ident: str) -> Emitted | None:
    """An officer already in SA is edited (OfficerEdited)."""
    linked = [o for o in world.officers.values() if o["additional_id"]]
    if not linked:
        return None
    officer = world.people.rng.choice(linked)
    officer["mobile_number"] = f"07{world.people.rng.randint(100_000_000, 999_999_999)}"
    return Emitted("pics.officer", officer["officer_id"], "OfficerEdited", {"officer": officer}, ["mobile_number"])


Change = Callable[[World, str], Emitted | None]
# The demo's mix: (change, weight).
MIX: tuple[tuple[Change, int], ...] = (
    (edit_learner, 45), (change_employer, 8), (change_qualification, 10), (close_aim, 4), (start_break, 4),
    (refresh, 5), (edit_organisation, 12), (edit_officer, 12),
)  # fmt: skip

_CHANGES, _WEIGHTS = (list(column) for column in zip(*MIX, strict=True))


def next_change(world: World) -> Emitted:
    """One change from the mix; a learner on a break only returns from it."""
    rng = world.people.rng
    while True:
        ident = rng.choice(list(world.learners))
        change = end_break if ident in world.on_break else rng.choices(_CHANGES, _WEIGHTS)[0]
        emitted = change(world, ident)
        if emitted is not None:  # a snapshot: later changes must not reach an event already emitted
            return replace(emitted, payload=copy.deepcopy(emitted.payload))
