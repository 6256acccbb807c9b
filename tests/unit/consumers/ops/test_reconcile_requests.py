"""Reconcile requests of a run (D1, D5): one per record on its push topic, under its key, with the run's ids."""

from __future__ import annotations

from typing import Any, cast

import pytest

from consumers.ops.reconcile_requests import (
    ASSESSORS,
    EMPLOYERS,
    LEARNERS,
    ReconcileRequests,
    linked_targets,
    request_event,
    request_route,
)
from consumers.producer import EventProducer
from sync_core.pull.reads import event_id
from sync_core.serde import AvroSerde


class Sent:
    """A producer that keeps what it is given."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str, dict[str, Any]]] = []
        self.flushed = 0

    def send(self, topic: str, key: str, value: dict[str, Any]) -> bytes:
        self.messages.append((topic, key, value))
        return b""

    def flush(self) -> None:
        self.flushed += 1


@pytest.mark.parametrize(
    ("target", "topic", "name", "key_field"),
    [
        pytest.param((LEARNERS, "L1"), "pics.learner", "ReconcileRequested", "learner_ident", id="D1-learner"),
        pytest.param((EMPLOYERS, "ORG1"), "pics.organisation", "OrganisationReconcileRequested", "organisation_id",
                     id="D1-G1-employer"),
        pytest.param((ASSESSORS, "OFF1"), "pics.officer", "OfficerReconcileRequested", "officer_id", id="D1-O1-assessor"),
    ],
)  # fmt: skip
def test_a_request_names_its_record_and_run_on_the_records_topic(
    target: tuple[str, str], topic: str, name: str, key_field: str
) -> None:
    """D1, D5: each request is its topic's reconcile record, keyed by the record, naming the run; it encodes."""
    sent = Sent()
    requests = ReconcileRequests(cast(EventProducer, sent), run_id=7)

    requests.send(target)

    [(on, key, value)] = sent.messages
    assert (on, key) == (topic, target[1])
    assert value["event"] == (f"pics.events.{name}", {key_field: target[1], "run_id": 7})
    assert request_route(target[0]).topic == topic and request_route(target[0]).current_record
    assert AvroSerde().decode(AvroSerde().encode(topic, value)).payload[key_field] == target[1]


def test_ids_are_the_runs_and_the_records() -> None:
    """D1: a resumed run sends the same id again (a ledger duplicate); another run, or another record, has its own.
    A learner's id is the one the daily run always gave it."""
    ids = {(run, record): request_event((EMPLOYERS, record), run)["event_id"] for run in (7, 8) for record in "AB"}
    assert len(set(ids.values())) == 4
    assert request_event((EMPLOYERS, "A"), 7)["event_id"] == ids[(7, "A")]
    learner = request_event((LEARNERS, "L1"), 7)["event_id"]
    assert learner == event_id(7, "ReconcileRequested", "L1", "L1")


def test_each_linked_record_is_asked_about_once() -> None:
    """D1: an employer or assessor shared by several learners is one request; employers first, each by id."""
    officers = [{"id": "OFF2"}, {"id": "OFF1"}, {"id": "OFF2"}]
    organisations = [{"id": "ORG9"}, {"id": "ORG1"}, {"id": "ORG9"}]

    assert linked_targets(officers, organisations) == [
        (EMPLOYERS, "ORG1"), (EMPLOYERS, "ORG9"), (ASSESSORS, "OFF1"), (ASSESSORS, "OFF2"),
    ]  # fmt: skip


def test_figures_count_each_entity_and_learners_keep_their_name() -> None:
    """The run summary: ``reconcile_requested`` counts learners as before; employers and assessors apart."""
    requests = ReconcileRequests(cast(EventProducer, Sent()), run_id=1)
    for target in [(LEARNERS, "L1"), (LEARNERS, "L2"), (EMPLOYERS, "ORG1"), (ASSESSORS, "OFF1")]:
        requests.send(target)

    assert requests.figures() == {
        "reconcile_requested": 2, "reconcile_requested_employers": 1, "reconcile_requested_assessors": 1,
    }  # fmt: skip
