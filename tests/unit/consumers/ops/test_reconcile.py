"""`pics-sync reconcile`'s pieces without a broker or database: what a run covers, where a resumed run goes on,
and the dry run (D4) over employers and assessors with the real rules, executor and an SA edited by hand."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace
from typing import Any, cast

import pytest

from consumers.ops import reconcile
from consumers.ops.reconcile_requests import ASSESSORS, EMPLOYERS, LEARNERS
from consumers.service import Service
from sync_core import clock
from sync_core.execute.executor import ExecutorPorts
from sync_core.settings import IntegrationSettings, Mode
from tests.unit.fakes import HASH_KEY, FakeSa, FakeState
from tests.unit.sync_core.rules.builders import officer, organisation

PUSH = IntegrationSettings(integration_enabled=True, organisation_mode=Mode.PUSH, officer_mode=Mode.PUSH)


@pytest.mark.parametrize(
    ("entities", "learner", "text"),
    [
        pytest.param(None, None, "reconcile:learners,employers,assessors", id="all-by-default"),
        pytest.param(["assessors", "learners"], None, "reconcile:learners,assessors", id="in-sending-order"),
        pytest.param(["employers"], "L:1", "reconcile:employers:learner:L:1", id="one-learner-s-employer"),
    ],
)
def test_a_runs_scope_is_kept_so_resume_covers_the_same(entities: list[str] | None, learner: str | None,
                                                        text: str) -> None:  # fmt: skip
    """--resume carries on over what the run was started with: its entities and its learner, kept in its row."""
    scope = reconcile.Scope.of(entities, learner)
    assert scope.text == text
    assert reconcile.Scope.parse(scope.text) == scope


def test_a_resumed_run_sends_what_comes_after_its_checkpoint() -> None:
    """Records go learners, employers, assessors, each by id: past the checkpoint ``<entity>:<id>`` is what is left."""
    todo = [(LEARNERS, "L1"), (LEARNERS, "L2"), (EMPLOYERS, "ORG1"), (ASSESSORS, "OFF1"), (ASSESSORS, "OFF2")]
    assert reconcile.after(todo, None) == todo
    assert reconcile.after(todo, "learners:L2") == todo[2:]
    assert reconcile.after(todo, "employers:ORG0") == todo[2:]  # the record it stopped after is gone since
    assert reconcile.after(todo, "assessors:OFF2") == []


class World:
    """SA's employers and assessors (one edited by hand) and PICS's records of them."""

    def __init__(self, organisations: int) -> None:
        self.sa, self.state = FakeSa(), FakeState()
        self.pics: dict[tuple[str, str], dict[str, Any]] = {}
        for n in range(organisations):
            record = organisation(organisation_id=f"ORG{n}")
            held = self.sa.create_employer({"misId": f"ORG{n}", "name": "Acme Ltd", "phoneNumber": "0113 000",
                                            "edrsNumber": "123456", "address1": "1 Mill Lane", "postcode": "LS2 2BB",
                                            "website": "https://acme.example", "employerSize": "50-249"})  # fmt: skip
            self.pics[("pics.organisation", f"ORG{n}")] = {"organisation": {**record, "additional_id": str(held["id"])}}
        held = self.sa.create_assessor({"misId": "OFF1", "firstName": "Grace", "surname": "Hopper",
                                        "email": "off1@example.org", "mobileNumber": "07700900001"})  # fmt: skip
        self.pics[("pics.officer", "OFF1")] = {"officer": officer("OFF1", additional_id=str(held["id"]))}

    def service(self, settings: IntegrationSettings) -> Service:
        execution = ExecutorPorts(self.sa, self.state, self.state, self.state, self.state, hash_key=HASH_KEY)
        ports = SimpleNamespace(settings=lambda: settings, lookups=self.state, execution=execution,
                                snapshot=lambda topic, record_id: self.pics.get((topic, record_id)))  # fmt: skip
        return cast(Service, SimpleNamespace(ports=ports, config=SimpleNamespace(zone=clock.zone("Europe/London"))))


def test_d4_the_dry_run_lists_each_records_writes_in_record_order_and_makes_none() -> None:
    """D1, D4, G1, O1: compared eight at a time, the hand-edited employers' and assessor's fields are listed as the
    writes a real run would make, in record order; SA is read, never written; a record gone from PICS is not
    compared (D1)."""
    world = World(organisations=20)
    for n in (3, 11):
        world.sa.employers[str(1001 + n)]["name"] = "Acme Limited"
    world.sa.assessors["1021"]["email"] = "typed.in.sa@example.org"
    todo = [(EMPLOYERS, f"ORG{n}") for n in range(20)] + [(EMPLOYERS, "ORG-GONE"), (ASSESSORS, "OFF1")]

    found = reconcile.predict(world.service(PUSH), todo, reconcile.Options(concurrency=8))

    assert [(p.entity, p.record_id) for p in found] == todo
    assert [(p.record_id, d.entity, d.pics_id, d.field, d.action) for p in found for d in p.differences] == [
        ("ORG3", "employer", "ORG3", "name", "would push"),
        ("ORG11", "employer", "ORG11", "name", "would push"),
        ("OFF1", "assessor", "OFF1", "email", "would push"),
    ]
    assert {p.record_id: p.not_compared for p in found if p.not_compared} == {"ORG-GONE": "not in PICS (D1)"}
    assert world.sa.writes()[-1][0] == "create assessor"  # the world's own; the dry run wrote nothing


def test_d1_under_none_the_dry_run_compares_nothing() -> None:
    """D1, G1, O1: with S10 and S12 at None neither record is read; each says why it was not compared."""
    world = World(organisations=1)
    world.sa.calls.clear()
    settings = replace(PUSH, organisation_mode=Mode.NONE, officer_mode=Mode.NONE)

    found = reconcile.predict(world.service(settings), [(EMPLOYERS, "ORG0"), (ASSESSORS, "OFF1")])

    assert [p.not_compared for p in found] == [
        "employer details are not pushed under the settings (G1)",
        "assessor details are not pushed under the settings (O1)",
    ]
    assert world.sa.calls == []
