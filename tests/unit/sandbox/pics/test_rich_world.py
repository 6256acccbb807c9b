"""The demo's rich world: every kind of learner and change DOMAIN v2 decides apart, in events shaped as the schemas."""

from __future__ import annotations

from collections import Counter

from sandbox.pics.changes import made_again, next_change
from sandbox.pics.people import People
from sandbox.pics.world import Emitted, World
from sync_core.serde import AvroSerde, new_event

COURSES = ["60305735", "60306612"]


def streamed(events: int, *, rich: bool = True, seed: int = 3) -> tuple[World, list[Emitted]]:
    world = World(People(seed), "T-", rich=rich)
    world.populate(40, COURSES)
    stream = list(world.enrolments())
    for ident in world.uploaded:
        world.learners[ident]["smart_assessor_id"] = f"g-{ident}"
    stream += [next_change(world) for _ in range(events)]
    return world, stream


def test_every_event_encodes_as_its_schema() -> None:
    """Each payload (LearnerOfficersChanged too) is a valid Avro record of its topic."""
    _world, stream = streamed(400)
    serde = AvroSerde()
    for emitted in stream:
        serde.encode(emitted.topic, new_event(emitted.name, emitted.payload, changed_fields=emitted.changed))


def test_the_rich_world_has_each_case() -> None:
    """Held back and never uploaded learners, a learner not Live, late closures, officer changes, added courses."""
    world, stream = streamed(400)
    kinds = Counter(world.kinds.values())
    assert {"held_back", "never", "not_live", "ended_long_ago", "ended_recently", "closed_aim", "no_uln"} <= set(kinds)
    names = Counter(e.name for e in stream)
    assert names["LearnerOfficersChanged"] and names["IlrAimClosed"] and names["QualificationChanged"]
    late = [e for e in stream if e.name == "LearnerEnrolled" and world.kinds[e.key] == "held_back"]
    assert late and all(world.events_about[e.key] for e in late)
    assert not world.uploaded & {i for i, kind in world.kinds.items() if kind == "never"}
    assert world.spare_officers and not any(o in r.values() for o in world.spare_officers for r in world.roles.values())


def test_while_s1_is_off_nothing_is_uploaded_closed_or_broken_and_it_is_all_made_again() -> None:
    """S1: changes made while off are of the repeatable kinds; afterwards each record is changed again, as it is now."""
    world, _stream = streamed(50)
    world.integration_on = False
    off = [next_change(world) for _ in range(200)]
    assert {e.name for e in off} <= {"LearnerEdited", "EmployerChanged", "QualificationChanged", "RefreshRequested",
                                     "LearnerOfficersChanged", "OrganisationEdited", "OfficerEdited"}  # fmt: skip
    again = made_again(world, off)
    assert {(e.name, e.key) for e in again} == {(e.name, e.key) for e in off if e.name != "RefreshRequested"}
    edited = next(e for e in again if e.name == "LearnerEdited")
    assert edited.payload["learner"] == world.learners[edited.key]


def test_a_plain_world_keeps_the_plain_mix() -> None:
    """The benches and scenarios: every learner uploaded at the start, none of the rich world's changes."""
    world, stream = streamed(300, rich=False)
    assert len(world.uploaded) == 40 and not world.spare_officers
    assert not {e.name for e in stream} & {"LearnerOfficersChanged"}
