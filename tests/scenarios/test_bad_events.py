"""Scenario: about 1% of the stream cannot be applied — bytes that are no event, or an edit SA rejects.

Contract: a message that is not an event we can read (no known framing, or an Avro body cut short)
is parked as ``UndecodableEvent``; a learner edit carrying a malformed ULN is refused by SA and
parked as ``SaRejected``; each with its reason in ``sync.parked_events``. Every later event of that
learner parks behind it (key order) and none is applied, so that learner's SA record may lag PICS. Every
other event flows: every other learner, every employer and every assessor in SA equals the PICS
truth, with no duplicate SA record, in each learner's order.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import pytest

from consumers.service import Service
from sandbox.pics.changes import LEARNER, next_change
from sandbox.pics.world import Emitted
from sandbox.sa.process import SaSandboxProcess
from sync_core.outcome import Tally
from sync_core.serde import new_event
from tests.scenarios.world import (
    Scenario,
    assert_in_step_but,
    assert_order_held,
    enrolled_world,
    learners_checked,
    parked_rows,
    recorded,
)

pytestmark = pytest.mark.integration

LEARNERS, EVENTS, BAD_SHARE = 60, 1500, 0.01
MALFORMED_ULN = "12AB34"


@dataclass(frozen=True)
class Raw:
    """Bytes sent as they are under a learner's key."""

    key: str
    data: bytes


def garbage(scenario: Scenario, ident: str) -> Raw:
    """Bytes in no framing we know."""
    return Raw(ident, b"this is not an event " + ident.encode())


def truncated(scenario: Scenario, ident: str) -> Raw:
    """A real LearnerEdited's bytes cut off in the middle of its Avro body."""
    event = new_event("LearnerEdited", {"learner": scenario.world.learners[ident]}, changed_fields=["email"])
    data = scenario.service.ports.serde.encode(LEARNER, event)
    return Raw(ident, data[: len(data) // 2])


def malformed_uln(scenario: Scenario, ident: str) -> Emitted:
    """PICS saves a ULN that is not ten digits: the edit reaches SA, which rejects it."""
    learner = scenario.world.learners[ident]
    learner["uln"] = MALFORMED_ULN
    return Emitted(LEARNER, ident, "LearnerEdited", {"learner": copy.deepcopy(learner)}, ["uln"])


# Each way to be bad, with the error class its event parks as; taken in turn.
BAD: tuple[tuple[str, Callable[[Scenario, str], Raw | Emitted]], ...] = (
    ("UndecodableEvent", garbage),
    ("UndecodableEvent", truncated),
    ("SaRejected", malformed_uln),
)


def mixed_stream(scenario: Scenario, seed: int) -> tuple[list[Raw | Emitted], dict[str, str]]:
    """``EVENTS`` changes with ~1% bad ones among them, each on a learner of its own; the bad learners' error classes."""
    rng = random.Random(seed)
    stream: list[Raw | Emitted] = []
    bad: dict[str, str] = {}
    for n in range(EVENTS):
        healthy = [i for i in scenario.world.learners if i not in bad]
        if rng.random() < BAD_SHARE or (n == EVENTS // 2 and not bad):
            ident, (error_class, make) = rng.choice(healthy), BAD[len(bad) % len(BAD)]
            stream.append(make(scenario, ident))
            bad[ident] = error_class
        else:
            stream.append(next_change(scenario.world))
    scenario.store.save_all(scenario.world)
    return stream, bad


def send(scenario: Scenario, stream: Sequence[Raw | Emitted]) -> None:
    """Send the stream in its order: events through the demo's sender, raw bytes as they are."""
    for chunk in chunks(stream):
        if isinstance(chunk[0], Raw):
            for raw in chunk:
                assert isinstance(raw, Raw)
                scenario.sender.producer.send_raw(LEARNER, raw.key, raw.data)
        else:
            scenario.send(e for e in chunk if isinstance(e, Emitted))
    scenario.sender.producer.flush()


def chunks(stream: Sequence[Raw | Emitted]) -> Iterator[list[Raw | Emitted]]:
    """Runs of the stream's items of one kind (raw or events), in order."""
    run: list[Raw | Emitted] = []
    for item in stream:
        if run and isinstance(item, Raw) != isinstance(run[0], Raw):
            yield run
            run = []
        run.append(item)
    if run:
        yield run


def test_bad_events_park_with_reasons_and_everything_else_flows(
    service: Service, drain: Callable[[], Tally], sa: SaSandboxProcess
) -> None:
    """Undecodable and SA-rejected events park (their learners' later events behind them); all else reaches SA."""
    scenario = enrolled_world(service, drain, learners=LEARNERS, seed=31)
    stream, bad = mixed_stream(scenario, seed=31)
    send(scenario, stream)
    drain()

    parked = parked_rows(service)
    first = {row["key"]: row for row in reversed(parked)}  # each key's first parked event
    assert {key: row["error_class"] for key, row in first.items()} == bad
    assert all(MALFORMED_ULN not in row["reason"] for row in parked)  # ids and field names, no values
    rejected = [row["reason"] for row in first.values() if row["error_class"] == "SaRejected"]
    assert rejected and all("uln" in reason for reason in rejected)
    assert {row["error_class"] for row in parked if row is not first[row["key"]]} <= {"ParkedBehind"}
    applied_after = [
        row
        for row in recorded(service, "applied")
        if row["key"] in first and row["offset"] > first[row["key"]]["offset"]
    ]
    assert applied_after == []

    lagging = learners_checked(scenario, set(bad))
    assert lagging.learners_total == len(bad)
    assert_in_step_but(scenario.check(), LEARNERS, lagging)
    assert_order_held(service, sa.calls()["log"])
