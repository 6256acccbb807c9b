"""The changes PICS users make, one function each, in the demo's mix of every PICS event type.

Each function changes the world and returns the event PICS emits for it, or None when the change
does not apply to that record (the caller then picks another). A plain world draws from ``MIX``; the
demo's rich world adds the changes of ``sandbox.pics.more_changes`` (late uploads and closures,
officer changes, qualifications added, ULNs obtained, learners leaving Live) and keeps a learner
that is not in SA, and every learner while S1 is off, to edits that can be made again later.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from sandbox.pics import more_changes
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
    return employer_changed(world, ident, previous)


def employer_changed(world: World, ident: str, previous: str | None) -> Emitted:
    """EmployerChanged with the learner's placement as it is now."""
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
    return qualification_changed(world, ident, qualification, changed)


def qualification_changed(world: World, ident: str, qualification: dict[str, object], changed: list[str]) -> Emitted:
    """QualificationChanged about one of the learner's qualifications, as it is now."""
    payload = {"learner": world.learners[ident], "qualification": qualification, "officers": world.officers_of(ident)}
    return Emitted(LEARNER, ident, "QualificationChanged", payload, changed)


def close_aim(world: World, ident: str) -> Emitted | None:
    """An ILR aim is closed today: completed and achieved; in a rich world each status and outcome in turn."""
    qualification = world.open_qualification(ident)
    if qualification is None:
        return None
    if world.rich:
        world.close(qualification, world.today())
    else:
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
    return organisation_edited(organisation)


def organisation_edited(organisation: dict[str, object]) -> Emitted:
    return Emitted("pics.organisation", str(organisation["organisation_id"]), "OrganisationEdited",
                   {"organisation": organisation}, ["phone_number", "website"])  # fmt: skip


def edit_officer(world: World, _ident: str) -> Emitted | None:
    """An officer already in SA is edited (OfficerEdited)."""
    linked = [o for o in world.officers.values() if o["additional_id"]]
    if not linked:
        return None
    officer = world.people.rng.choice(linked)
    officer["mobile_number"] = f"07{world.people.rng.randint(100_000_000, 999_999_999)}"
    return officer_edited(officer)


def officer_edited(officer: dict[str, object]) -> Emitted:
    return Emitted("pics.officer", str(officer["officer_id"]), "OfficerEdited", {"officer": officer}, ["mobile_number"])


Change = Callable[[World, str], Emitted | None]
# The demo's mix: (change, weight).
MIX: tuple[tuple[Change, int], ...] = (
    (edit_learner, 45), (change_employer, 8), (change_qualification, 10), (close_aim, 4), (start_break, 4),
    (refresh, 5), (edit_organisation, 12), (edit_officer, 12),
)  # fmt: skip
# The rich world's mix: the plain one, and the changes the rules treat apart.
RICH_MIX: tuple[tuple[Change, int], ...] = (
    *MIX, (more_changes.enrol_late, 4), (more_changes.close_late, 4), (more_changes.change_officers, 6),
    (more_changes.add_qualification, 3), (more_changes.obtain_uln, 2), (more_changes.leave_live, 1),
)  # fmt: skip
# For a learner not in SA, and for everyone while S1 is off: changes that can be made again afterwards.
REPEATABLE: tuple[tuple[Change, int], ...] = (
    (edit_learner, 45), (change_employer, 8), (change_qualification, 10), (refresh, 5),
    (more_changes.change_officers, 6), (edit_organisation, 12), (edit_officer, 12),
)  # fmt: skip


def _mix(world: World, ident: str) -> tuple[tuple[Change, int], ...] | None:
    if not world.rich:
        return None if ident in world.on_break else MIX
    if ident in world.on_break:
        return None  # returns from its break, and only while S1 is on
    return RICH_MIX if world.integration_on and world.in_sa(ident) else REPEATABLE


def next_change(world: World) -> Emitted:
    """One change from the mix; a learner on a break only returns from it."""
    rng = world.people.rng
    while True:
        ident = rng.choice(list(world.learners))
        mix = _mix(world, ident)
        if mix is None:
            change: Change | None = end_break if world.integration_on else None
        else:
            change = rng.choices([c for c, _ in mix], [w for _, w in mix])[0]
        emitted = None if change is None else change(world, ident)
        if emitted is not None:  # a snapshot: later changes must not reach an event already emitted
            world.events_about[emitted.key] += 1
            return replace(emitted, payload=copy.deepcopy(emitted.payload))


def made_again(world: World, while_off: list[Emitted]) -> list[Emitted]:
    """Once S1 is back on: each record changed while it was off, changed again to what it is now.

    Every kind of event emitted while off is emitted once more per record, with today's after-image,
    so SA ends as PICS is without relying on the daily synchronisation (D5).
    """
    again: dict[tuple[str, str, str], Emitted] = {}
    for emitted in while_off:
        qualification = emitted.payload.get("qualification") or {}
        what = (emitted.name, emitted.key, str(qualification.get("qualification_id", "")))
        if what not in again and emitted.name != "RefreshRequested":
            again[what] = _now(world, emitted)
    return [replace(e, payload=copy.deepcopy(e.payload)) for e in again.values()]


def _now(world: World, emitted: Emitted) -> Emitted:
    """The same kind of event about the same record, with the record as it is now."""
    key = emitted.key
    if emitted.name == "OrganisationEdited":
        return organisation_edited(world.organisations[key])
    if emitted.name == "OfficerEdited":
        return officer_edited(world.officers[key])
    if emitted.name == "EmployerChanged":
        return employer_changed(world, key, emitted.payload.get("previous_organisation_id"))
    if emitted.name == "QualificationChanged":
        wanted = emitted.payload["qualification"]["qualification_id"]
        now = next(q for q in world.qualifications[key] if q["qualification_id"] == wanted)
        return qualification_changed(world, key, now, emitted.changed)
    if emitted.name == "LearnerOfficersChanged":
        return more_changes.officers_changed(world, key)
    return Emitted(LEARNER, key, "LearnerEdited", {"learner": world.learners[key]}, emitted.changed)
