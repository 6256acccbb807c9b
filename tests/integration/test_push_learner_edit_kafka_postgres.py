"""LearnerEdited through the real broker, real PostgreSQL and the SA sandbox over HTTP.

Contract: an edit of a linked learner reaches SA under the settings (L1); the same event delivered
twice pushes once; an edit that changes nothing makes no call (X1); an undecodable message is
parked with its reason and the stream goes on; with the integration off nothing is sent (S1); an
edit of a learner not in SA is skipped "not in Smart Assessor" and parks nothing, so the learner's
enrolment after it applies and uploads the latest after-image (X2 v2).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from consumers.producer import EventProducer
from consumers.service import Service
from sandbox.pics.people import People
from sandbox.sa.process import SaSandboxProcess
from sync_core.config import RuntimeConfig
from sync_core.outcome import Kind, Tally
from sync_core.rules.learner import pushed_fields
from sync_core.serde import new_event
from sync_core.state.settings_repo import SettingsRepository
from tests.learners import edit, enrolment, new_learner, send

pytestmark = pytest.mark.integration

PUSH_SETTINGS = {
    "Integration Enabled": "on",
    "Update Learner Demographics Mode": "Push PICS Data to Smart Assessor",
}


def enrolled(service: Service, people: People, ident: str) -> dict[str, Any]:
    """A learner already in SA, as PICS holds it after enrolment."""
    learner = people.learner(ident)
    created = service.sa.create_learner(
        {"misId": ident, "firstName": learner["first_name"], "surname": learner["surname"]}
    )
    return {**learner, "smart_assessor_id": created["id"]}


def edit_event(learner: dict[str, Any]) -> dict[str, Any]:
    return new_event("LearnerEdited", {"learner": learner}, changed_fields=["email"])


def patches(sa: SaSandboxProcess) -> int:
    return int(sa.calls()["counts"].get("PATCH /learners/{id}", 0))


@pytest.fixture
def pushing(service: Service) -> Service:
    SettingsRepository(service.pool).set_many(PUSH_SETTINGS)
    return service


def test_edit_arrives_in_sa(
    pushing: Service, producer: EventProducer, drain: Callable[[], Tally], sa: SaSandboxProcess
) -> None:
    """L1: a PICS edit of a linked learner sets SA's learner fields to PICS's values."""
    people = People(1)
    learner = enrolled(pushing, people, "L-EDIT-1")
    edited, _ = people.edit(learner)
    producer.send("pics.learner", "L-EDIT-1", edit_event({**edited, "email": "changed@example.org"}))
    producer.flush()
    tally = drain()
    held = pushing.sa.get_learner(learner["smart_assessor_id"])
    assert tally.count(Kind.APPLIED) == 1
    assert held["email"] == "changed@example.org"
    expected = pushed_fields({**edited, "email": "changed@example.org"}, pushing.ports.settings())
    assert {k: held[k] for k in expected} == expected


def test_same_event_twice_pushes_once(
    pushing: Service, producer: EventProducer, drain: Callable[[], Tally], sa: SaSandboxProcess
) -> None:
    """The same event delivered twice is applied once and skipped once as a duplicate."""
    learner = enrolled(pushing, People(2), "L-DUP-1")
    data = producer.send("pics.learner", "L-DUP-1", edit_event(learner))
    producer.send_raw("pics.learner", "L-DUP-1", data)
    producer.flush()
    tally = drain()
    assert (tally.count(Kind.APPLIED), tally.count(Kind.DUPLICATE)) == (1, 1)
    assert patches(sa) == 1


def test_unchanged_edit_makes_no_call(
    pushing: Service, producer: EventProducer, drain: Callable[[], Tally], sa: SaSandboxProcess
) -> None:
    """X1: a second event carrying the same after-image makes no SA call."""
    learner = enrolled(pushing, People(3), "L-SAME-1")
    producer.send("pics.learner", "L-SAME-1", edit_event(learner))
    producer.send("pics.learner", "L-SAME-1", edit_event(learner))
    producer.flush()
    tally = drain()
    assert tally.count(Kind.APPLIED) == 2 and tally.sa_calls == 1
    assert patches(sa) == 1


def test_undecodable_message_is_parked_and_the_stream_goes_on(
    pushing: Service, config: RuntimeConfig, producer: EventProducer, drain: Callable[[], Tally]
) -> None:
    """Bytes that are no event park with their reason; the next event still arrives."""
    learner = enrolled(pushing, People(4), "L-BAD-1")
    producer.send_raw("pics.learner", "L-BAD-1", b"\x07not avro at all")
    producer.send(
        "pics.learner",
        "L-BAD-2",
        edit_event({**learner, "learner_ident": "L-BAD-2", "email": "after@example.org"}),
    )
    producer.flush()
    tally = drain()
    assert (tally.count(Kind.PARKED), tally.count(Kind.APPLIED)) == (1, 1)
    with psycopg.connect(config.database_url.get_secret_value()) as conn:
        row = conn.execute("SELECT key, error_class, reason, value FROM sync.parked_events").fetchone()
    assert row is not None and row[0] == "L-BAD-1" and row[1] == "UndecodableEvent"
    assert row[2] and bytes(row[3]) == b"\x07not avro at all"
    assert pushing.sa.get_learner(learner["smart_assessor_id"])["email"] == "after@example.org"


def test_integration_disabled_sends_nothing(
    service: Service, producer: EventProducer, drain: Callable[[], Tally], sa: SaSandboxProcess
) -> None:
    """S1 off: the event is consumed and recorded as skipped; SA gets no call."""
    SettingsRepository(service.pool).set_many({**PUSH_SETTINGS, "Integration Enabled": "off"})
    learner = enrolled(service, People(5), "L-OFF-1")
    producer.send("pics.learner", "L-OFF-1", edit_event(learner))
    producer.flush()
    tally = drain()
    assert tally.count(Kind.SKIPPED) == 1 and patches(sa) == 0


def test_edits_before_the_upload_are_skipped_and_the_enrolment_uploads_the_latest(
    pushing: Service, producer: EventProducer, drain: Callable[[], Tally], sa: SaSandboxProcess
) -> None:
    """X2 v2: edits of a learner not in SA are skipped "not in Smart Assessor", nothing parks, and its later LearnerEnrolled uploads the latest after-image."""
    learner = new_learner(6, "L-NEW-1")
    latest = {**learner, "email": "second@example.org", "surname": "Later"}
    send(producer, "L-NEW-1", [edit(learner, email="first@example.org"), edit(latest)])
    tally = drain()
    assert (tally.count(Kind.SKIPPED), tally.count(Kind.PARKED), patches(sa)) == (2, 0, 0)
    with psycopg.connect(pushing.config.database_url.get_secret_value()) as conn:
        reasons = [r[0] for r in conn.execute('SELECT reason FROM sync.processed_events ORDER BY "offset"')]
        parked = conn.execute("SELECT count(*) FROM sync.parked_events").fetchone()
    assert reasons == ["not in Smart Assessor (X2)"] * 2 and parked == (0,)
    assert sa.learners() == []
    send(producer, "L-NEW-1", [enrolment(pushing, latest)])
    assert drain().count(Kind.APPLIED) == 1
    [uploaded] = sa.learners()
    assert (uploaded["misId"], uploaded["email"], uploaded["surname"]) == ("L-NEW-1", "second@example.org", "Later")
    assert (uploaded["uln"], uploaded["postcode"]) == (latest["uln"], latest["postcode"])
