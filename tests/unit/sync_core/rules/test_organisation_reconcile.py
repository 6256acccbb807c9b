"""G1 and O1 planned from PICS's current organisation or officer and run against SA (D1, D3), with fakes.

The daily synchronisation compares each linked employer and assessor with the edit rules' plans: the
link is resolved without an SA call and never creates (D6), SA's record is read once, and a
difference is recorded under the PICS record it is about, even when SA's record was made for another.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from sync_core.drift.compare import Difference
from sync_core.execute.executor import ExecutorPorts, execute
from sync_core.pipeline.routes import Rule
from sync_core.plan import Skip
from sync_core.rules.organisation import plan_officer_edited, plan_organisation_edited
from sync_core.settings import IntegrationSettings, Mode
from tests.unit.fakes import HASH_KEY, FakeSa, FakeState
from tests.unit.sync_core.rules.builders import TODAY, officer, organisation

ON = IntegrationSettings(integration_enabled=True)
PUSH = replace(ON, organisation_mode=Mode.PUSH, officer_mode=Mode.PUSH)


def ports(sa: FakeSa, state: FakeState) -> ExecutorPorts:
    return ExecutorPorts(sa, state, state, state, state, hash_key=HASH_KEY)


def test_g1_a_shared_sa_employer_differs_under_the_organisation_compared() -> None:
    """D1, D3, G1: SA's employer was made for ORG0 (U2 v2: ORG1 found it by EDRS Number and Postcode); ORG1's
    comparison reads it once, sets the name SA lacks, and records the difference under ORG1, not SA's MIS id."""
    sa, state = FakeSa(), FakeState()
    held = sa.create_employer({"misId": "ORG0", "name": "Acme Limited", "edrsNumber": "123456"})
    record = organisation(additional_id=str(held["id"]))
    sa.calls.clear()

    plan = plan_organisation_edited({"organisation": record}, PUSH, state, TODAY)
    effects = execute(plan, ports(sa, state), compare=True)

    resource = f"employer:{held['id']}"
    assert [d for d in effects.differences if d.field == "name"] == [
        Difference("employer", resource, "ORG1", "name", "push", "pushed")
    ]
    assert {d.pics_id for d in effects.differences} == {"ORG1"}
    assert sa.calls == [("get employer", str(held["id"])), ("update employer", str(held["id"]))]
    assert sa.employers[str(held["id"])]["name"] == "Acme Ltd"


@pytest.mark.parametrize(
    "linked_by",
    [pytest.param("additional_id", id="O1-linked-by-additional-id"), pytest.param("our_link", id="O1-linked-by-us")],
)
def test_o1_an_officer_compared_reads_its_assessor_once_and_creates_nothing(linked_by: str) -> None:
    """D1, D6, O1: linked by its Additional ID or only by our link, the officer's assessor is read once and the
    hand-edited phone number set back; no search, no create; the dry run lists the same write (D4)."""
    sa, state = FakeSa(), FakeState()
    held = sa.create_assessor({"misId": "OFF1", "firstName": "Grace", "surname": "Hopper",
                               "email": "off1@example.org", "phoneNumber": "0113 999", "mobileNumber": "07700900001"})  # fmt: skip
    assessor_id = str(held["id"])
    if linked_by == "our_link":
        state.links[("assessor", "OFF1")] = assessor_id
    record = officer(
        "OFF1", phone_number="0113 000", additional_id=assessor_id if linked_by == "additional_id" else None
    )
    sa.calls.clear()
    plan = plan_officer_edited({"officer": record}, PUSH, state, TODAY)

    dry = execute(plan, ports(sa, state), compare=True, dry_run=True)
    real = execute(plan, ports(sa, state), compare=True)

    expected = Difference("assessor", f"assessor:{assessor_id}", "OFF1", "phoneNumber", "push", "pushed")
    assert real.differences == (expected,)
    assert dry.differences == (replace(expected, action="would push"),) and dry.calls == real.calls
    assert [call for call, _ in sa.calls] == ["get assessor", "get assessor", "update assessor"]
    assert sa.assessors[assessor_id]["phoneNumber"] == "0113 000"


@pytest.mark.parametrize(
    ("plan", "payload", "settings", "skip"),
    [
        pytest.param(plan_organisation_edited, {"organisation": organisation(additional_id="77")}, ON,
                     Skip("employer details are not pushed under the settings", rule="G1"), id="G1-S12-none-not-compared"),
        pytest.param(plan_officer_edited, {"officer": officer("OFF1", additional_id="55")}, replace(ON, officer_mode=Mode.PULL),
                     Skip("assessor details are not pushed under the settings", rule="O1"), id="O1-S10-pull-not-pushed"),
        pytest.param(plan_officer_edited, {"officer": officer("OFF9")}, PUSH,
                     Skip("not linked to a Smart Assessor assessor", rule="O1"), id="O1-unlinked-nothing-to-compare"),
    ],
)  # fmt: skip
def test_a_record_not_pushed_is_not_compared(plan: Rule, payload: dict[str, Any], settings: IntegrationSettings,
                                             skip: Skip) -> None:  # fmt: skip
    """D1, G1, O1: under None or Update PICS…, or with no SA record, the plan is one skip: nothing is read or compared."""
    assert plan(payload, settings, FakeState(), TODAY) == (skip,)
