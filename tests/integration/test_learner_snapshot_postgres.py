"""PICS's current record of a learner, organisation or officer, read from the PICS tables on the real PostgreSQL (D5).

Contract: ``learner_snapshot`` returns exactly the payload a RefreshRequested of that learner
carries once the serde has decoded it (sandbox/pics/world.py ``full_state``), field for field and
type for type: with a placement or none, officers or none, one qualification or several, a
qualification's own assessor; and None for a learner PICS does not have.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from psycopg_pool import ConnectionPool

from sandbox.pics.people import People
from sandbox.pics.store import PicsStore
from sandbox.pics.world import World
from sandbox.stack.local import Stack
from sandbox.stack.postgres import fresh_database
from sync_core.pics.snapshot import PicsSnapshots, learner_snapshot
from sync_core.serde import AvroSerde, new_event
from sync_core.state.database import open_pool

pytestmark = pytest.mark.integration

COURSES = ["60305735", "60306612", "60300000"]


@pytest.fixture
def pool(stack: Stack) -> Iterator[ConnectionPool]:
    """A pool on a fresh, migrated database of the session's PostgreSQL."""
    with open_pool(fresh_database(stack.database_url), max_size=2) as opened:
        yield opened


def varied_world() -> tuple[World, set[str]]:
    """A rich world whose learners differ in what is linked to them; returns it and the learners with no placement."""
    world = World(People(11), "SNAP-", rich=True)
    world.populate(60, COURSES)
    idents = list(world.learners)
    for ident in idents[0:5]:  # no officers at all
        world.roles[ident] = {}
    for ident in idents[5:10]:  # no qualifications
        world.qualifications[ident] = []
    for n, ident in enumerate(idents[10:20]):  # several qualifications, one with its own assessor
        base = world.qualifications[ident][0]
        extra = {**base, "qualification_id": f"{ident}-Q7", "qualification_reference": COURSES[n % 3],
                 "assessor": world.officers[world.assignable_officers()[n % 3]], "completion_status": 2, "outcome": 1}  # fmt: skip
        world.qualifications[ident].append(extra)
    for ident in idents[20:25]:  # hours PICS holds to the half hour
        world.learners[ident].update(planned_otj_hours=312.5, actual_otj_hours=40.25)
    return world, set(idents[25:30])


def as_decoded(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload as the push consumer sees it in a RefreshRequested: encoded and decoded by the serde."""
    serde = AvroSerde()
    return dict(serde.decode(serde.encode("pics.learner", new_event("RefreshRequested", payload))).payload)


def typed(value: Any) -> Any:
    """The value with each leaf's type beside it, so 278 and 278.0 (or a Decimal) are told apart."""
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [typed(item) for item in value]
    return (type(value).__name__, value)


def expected(world: World, ident: str, without_placement: set[str]) -> dict[str, Any]:
    """What a RefreshRequested of the learner carries; its officers by role and qualifications by id, as PICS orders them."""
    state = world.full_state(ident)
    if ident in without_placement:
        state["placement"] = None
    decoded = as_decoded(state)
    decoded["officers"] = sorted(decoded["officers"], key=lambda officer: officer["role"])
    decoded["qualifications"] = sorted(decoded["qualifications"], key=lambda q: q["qualification_id"])
    return decoded


def test_the_snapshot_is_the_refresh_payload_of_every_learner(pool: ConnectionPool) -> None:
    """D5: for each learner of a saved world the snapshot equals its full state as a decoded RefreshRequested."""
    world, without_placement = varied_world()
    PicsStore(pool).save_all(world)
    with pool.connection() as conn:
        conn.execute(
            "UPDATE pics.learner SET placement_organisation_id = NULL WHERE learner_ident = ANY(%s)",
            (sorted(without_placement),),
        )

    snapshots = {ident: learner_snapshot(pool, ident) for ident in world.learners}

    assert {i: typed(s) for i, s in snapshots.items()} == {
        i: typed(expected(world, i, without_placement)) for i in world.learners
    }
    cases = list(snapshots.values())
    assert sum(s is not None and s["placement"] is None for s in cases) == len(without_placement)
    assert sum(s is not None and not s["officers"] for s in cases) >= 5
    assert sum(s is not None and len(s["qualifications"]) >= 2 for s in cases) >= 10
    assert any(s is not None and any(q["assessor"] for q in s["qualifications"]) for s in cases)


def test_a_learner_pics_does_not_have_has_no_snapshot(pool: ConnectionPool) -> None:
    """D5: a learner missing from the PICS tables reads as None, not as an empty record."""
    assert learner_snapshot(pool, "SNAP-NOBODY") is None


def decoded(topic: str, name: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The payload as the push consumer sees event ``name`` on ``topic``: encoded and decoded by the serde."""
    serde = AvroSerde()
    return dict(serde.decode(serde.encode(topic, new_event(name, payload))).payload)


def test_an_organisation_or_officer_snapshot_is_its_edit_payload(pool: ConnectionPool) -> None:
    """D1, D5: PICS's current organisation and officer read as a decoded OrganisationEdited / OfficerEdited payload,
    by the push topic a reconcile request arrives on; one PICS does not have reads as None."""
    world, _ = varied_world()
    PicsStore(pool).save_all(world)
    snapshots = PicsSnapshots(pool)
    some_officers = list(world.officers)[:5]

    for org_id, org in world.organisations.items():
        payload = {"organisation": org}
        assert typed(snapshots("pics.organisation", org_id)) == typed(
            decoded("pics.organisation", "OrganisationEdited", payload))  # fmt: skip
    for officer_id in some_officers:
        payload = {"officer": world.officers[officer_id]}
        assert typed(snapshots("pics.officer", officer_id)) == typed(decoded("pics.officer", "OfficerEdited", payload))
    assert snapshots("pics.organisation", "SNAP-NO-ORG") is None and snapshots("pics.officer", "SNAP-NO-OFF") is None
    assert snapshots("pics.learner", "SNAP-NOBODY") is None
