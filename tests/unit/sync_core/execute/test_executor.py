"""Executing plans: X1 v2 (no call for unchanged content, field by field), U2/U3/U10 (link before create), dry runs."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from sync_core.errors import MappingError
from sync_core.execute.executor import ExecutorPorts, content_hash, execute
from sync_core.plan import EnsureAssessor, EnsureEmployer, EnsureLearner, Ref, Skip, update_learner
from tests.unit.fakes import HASH_KEY, FakeSa, FakeState

PLAN = (update_learner("g1", {"email": "a@example.org", "surname": "Lovelace"}),)
ORG = {
    "organisation_id": "ORG1",
    "name": "Acme Ltd",
    "edrs_number": "123456",
    "postcode": "LS1 1AA",
    "additional_id": None,
}
OFFICER = {
    "officer_id": "OFF1",
    "first_name": "Grace",
    "surname": "Hopper",
    "email": "grace@example.org",
    "additional_id": None,
}


def ports(sa: FakeSa, state: FakeState, **changes: Any) -> ExecutorPorts:
    return replace(ExecutorPorts(sa, state, state, state, state, hash_key=HASH_KEY), **changes)


def test_first_push_calls_sa_and_returns_the_hash() -> None:
    """A new content is pushed and its hash returned for the ledger."""
    sa, state = FakeSa(), FakeState()
    sa.learners["g1"] = {"id": "g1"}
    effects = execute(PLAN, ports(sa, state))
    assert sa.writes() == [("update learner", "g1")]
    assert effects.pushed == {
        "learner:g1#email": content_hash({"email": "a@example.org"}, HASH_KEY),
        "learner:g1#surname": content_hash({"surname": "Lovelace"}, HASH_KEY),
    }


def test_unchanged_content_makes_no_call() -> None:
    """X1: content equal to what was last pushed, field by field, makes no SA call."""
    sa, state = FakeSa(), FakeState()
    state.hashes["learner:g1#email"] = content_hash({"email": "a@example.org"}, HASH_KEY)
    state.hashes["learner:g1#surname"] = content_hash({"surname": "Lovelace"}, HASH_KEY)
    effects = execute(PLAN, ports(sa, state))
    assert sa.calls == [] and effects.sa_calls == 0


def push(sa: FakeSa, state: FakeState, fields: dict[str, Any]) -> None:
    """Execute one learner update and remember its hashes, as the ledger does when it records the event."""
    state.hashes.update(execute((update_learner("g1", fields),), ports(sa, state)).pushed)


def test_x1_v2_only_the_fields_that_changed_are_sent() -> None:
    """X1 v2: a field is sent when its value differs from the value last pushed for that same field."""
    sa, state = FakeSa(), FakeState()
    sa.learners["g1"] = {"id": "g1"}
    push(sa, state, {"email": "a@example.org", "surname": "Lovelace"})
    push(sa, state, {"email": "b@example.org", "surname": "Lovelace"})
    assert [fields for _kind, _id, fields in sa.updates] == [
        {"email": "a@example.org", "surname": "Lovelace"},
        {"email": "b@example.org"},
    ]


def test_x1_v2_switching_a_toggle_off_and_on_never_drops_a_needed_write() -> None:
    """X1 v2: S7 on, then off again: PICS says a@x, and SA gets a@x back (v1 keyed the field-name set)."""
    sa, state = FakeSa(), FakeState()
    sa.learners["g1"] = {"id": "g1"}
    push(sa, state, {"email": "a@example.org"})  # S7 off
    push(sa, state, {"email": "b@example.org", "gender": "F"})  # S7 on, email edited
    push(sa, state, {"email": "a@example.org"})  # S7 off again, email edited back
    assert sa.learners["g1"]["email"] == "a@example.org"


def test_force_pushes_unchanged_content() -> None:
    """--force re-pushes even when the hash says SA has it (an SA that lost data)."""
    sa, state = FakeSa(), FakeState()
    sa.learners["g1"] = {"id": "g1"}
    state.hashes.update(execute(PLAN, ports(sa, state)).pushed)
    execute(PLAN, ports(sa, state), force=True)
    assert sa.writes() == [("update learner", "g1")] * 2


def test_dry_run_plans_but_writes_nothing() -> None:
    """A dry run lists the writes it would make and calls SA for nothing, not even a search."""
    sa, state = FakeSa(), FakeState()
    effects = execute((*PLAN, EnsureEmployer(ORG), Skip("x", rule="L5")), ports(sa, state), dry_run=True)
    assert sa.calls == [] and effects.calls == ("update learner", "link or create employer")
    assert state.links == {}


def test_employer_with_additional_id_is_linked_without_a_search() -> None:
    """U2: an organisation whose Additional ID is set links to that SA employer; no search, no create."""
    sa, state = FakeSa(), FakeState()
    execute((EnsureEmployer({**ORG, "additional_id": "1234"}),), ports(sa, state))
    assert sa.calls == [] and state.links == {("employer", "ORG1"): "1234"}
    assert state.written_back == {}


@pytest.mark.parametrize(
    ("existing", "found_by"),
    [
        pytest.param({"misId": "ORG1"}, "misId=ORG1", id="U2-found-by-mis-id"),
        pytest.param(
            {"misId": None, "edrsNumber": "123456", "postcode": "LS1 1AA"},
            "edrsNumber=123456,postcode=LS1 1AA",
            id="U2-found-by-edrs-and-postcode",
        ),
    ],
)
def test_employer_found_in_sa_is_linked_and_written_back(existing: dict[str, Any], found_by: str) -> None:
    """U2: SA's employer found by MIS id, then by EDRS + postcode, is linked and its id written to PICS."""
    sa, state = FakeSa(), FakeState()
    sa.employers["77"] = {"id": 77, "name": "Acme Ltd", **existing}
    execute((EnsureEmployer(ORG),), ports(sa, state))
    assert sa.writes() == [] and ("find employer", found_by) in sa.calls
    assert state.links[("employer", "ORG1")] == "77" and state.written_back[("employer", "ORG1")] == "77"


def test_employer_unknown_to_sa_is_created_once_from_u2_fields() -> None:
    """U2: with no match SA gets one new employer carrying U2's fields; a second plan links it."""
    sa, state = FakeSa(), FakeState()
    execute((EnsureEmployer(ORG),), ports(sa, state))
    execute((EnsureEmployer(ORG),), ports(sa, state))
    assert [w for w in sa.writes() if w[0] == "create employer"] == [("create employer", "1001")]
    assert sa.employers["1001"]["misId"] == "ORG1" and sa.employers["1001"]["edrsNumber"] == "123456"
    assert ("employer", "ORG1") in state.guarded


def test_assessor_found_by_email() -> None:
    """U3: an SA assessor with the officer's email is linked, not duplicated."""
    sa, state = FakeSa(), FakeState()
    sa.assessors["55"] = {"id": 55, "misId": "other", "email": "grace@example.org"}
    execute((EnsureAssessor(OFFICER),), ports(sa, state))
    assert sa.writes() == [] and state.links[("assessor", "OFF1")] == "55"


def test_crash_after_create_then_retry_links_the_created_record() -> None:
    """U10: a crash between SA's create and our link write leaves one SA learner after the retry."""

    class Crash(BaseException):
        pass

    def crash(name: str) -> None:
        if name == "after_sa_create:learner":
            raise Crash

    sa, state = FakeSa(), FakeState()
    plan = (EnsureLearner("L1", {"misId": "L1", "firstName": "Ada", "surname": "Lovelace"}),)
    with pytest.raises(Crash):
        execute(plan, ports(sa, state, checkpoint=crash))
    assert state.links == {} and len(sa.learners) == 1
    execute(plan, ports(sa, state))
    assert len(sa.learners) == 1 and state.links[("learner", "L1")] == next(iter(sa.learners))


def test_learner_with_smart_assessor_id_links_without_creating() -> None:
    """U10: a learner PICS already holds an SA id for is linked, never uploaded again."""
    sa, state = FakeSa(), FakeState()
    execute((EnsureLearner("L1", {"misId": "L1"}, sa_id="g-old"),), ports(sa, state))
    assert sa.calls == [] and state.links[("learner", "L1")] == "g-old"


def test_refs_resolve_from_earlier_steps() -> None:
    """A Ref to an employer created earlier in the plan becomes SA's numeric id."""
    sa, state = FakeSa(), FakeState()
    plan = (EnsureEmployer(ORG), EnsureLearner("L1", {"misId": "L1", "employerId": Ref("employer", "ORG1")}))
    execute(plan, ports(sa, state))
    learner = next(iter(sa.learners.values()))
    assert learner["employerId"] == 1001


def test_unresolvable_ref_is_a_mapping_error() -> None:
    """A Ref nothing links is a permanent mapping error, not a silent null."""
    with pytest.raises(MappingError, match="no Smart Assessor employer"):
        execute((update_learner("g1", {"employerId": Ref("employer", "ORG9")}),), ports(FakeSa(), FakeState()))


def test_x1_hashes_are_keyed_so_the_same_value_under_two_keys_differs() -> None:
    """X1 keyed: one field's value hashes differently under two keys, and never as its plain SHA-256 (no guessing from the table)."""
    value = {"disability": "Y"}
    unkeyed = hashlib.sha256(json.dumps(value, separators=(",", ":")).encode()).hexdigest()
    under_one, under_other = content_hash(value, b"k" * 32), content_hash(value, b"q" * 32)
    assert under_one != under_other and unkeyed not in (under_one, under_other)
    assert content_hash(value, b"k" * 32) == under_one  # stable under one key


@pytest.mark.parametrize(
    "value",
    [{"email": "a@example.org"}, {"surname": "Ó Súilleabháin"}, {"dateOfBirth": date(2001, 2, 3)},
     {"otjHours": Decimal("12.50")}, {"employerId": 42}, {"mobileNumber": None}, {"b": 1, "a": [1, "x"]},
     {"séance": {"z": 1, "a": "é"}}],
)  # fmt: skip
def test_x1_hashes_are_those_stored_before_so_an_upgrade_pushes_nothing_again(value: dict[str, Any]) -> None:
    """X1: the hash of a field is the HMAC-SHA-256 of its canonical JSON, as every release has stored it in
    ``sync.pushed_state``; a faster way to compute it must give the same hash, or an upgrade re-pushes every field."""
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    stored = hmac.new(HASH_KEY, canonical.encode(), hashlib.sha256).hexdigest()
    assert content_hash(value, HASH_KEY) == stored


def test_x1_keyed_still_suppresses_an_unchanged_push_and_a_new_key_pushes_once() -> None:
    """X1 under the deployment's key: an unchanged push makes no call; after a key change each field goes out once more."""
    sa, state = FakeSa(), FakeState()
    sa.learners["g1"] = {"id": "g1"}
    fields = {"disability": "Y", "surname": "Lovelace"}
    for key in (b"k" * 32, b"k" * 32, b"q" * 32, b"q" * 32):
        state.hashes.update(execute((update_learner("g1", fields),), ports(sa, state, hash_key=key)).pushed)
    assert sa.writes() == [("update learner", "g1"), ("update learner", "g1")]
    assert sa.updates[-1] == ("learner", "g1", fields)
