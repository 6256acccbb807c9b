"""AvroSerde: values round-trip on their topics, defaults fill in, and bytes that are no event are refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sync_core.errors import ConfigurationError, UndecodableEvent
from sync_core.serde import SCHEMA_VERSION, AvroSerde, Envelope, SchemaRegistry, event_records, new_event
from tests.unit.sync_core.serde.registries import REGISTRIES, FakeRegistry
from tests.unit.sync_core.serde.samples import (
    EVENT_ID,
    EVENTS,
    LEARNER,
    LEARNER_DEMOGRAPHICS,
    OCCURRED,
    SA_EVENTS,
    TOPIC,
    contains,
    learner_edited,
    source_of,
)

# Payloads that leave out every field with a default: the reader fills them in.
MINIMAL_EVENTS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "LearnerEnrolled": ({"learner": LEARNER}, {"placement": None, "officers": [], "qualifications": []}),
    "QualificationChanged": (
        {
            "learner": LEARNER,
            "qualification": {"qualification_id": "LQ-2", "qualification_reference": "ST0117"},
        },
        {"officers": []},
    ),
    "RefreshRequested": ({"learner": LEARNER}, {"placement": None, "officers": [], "qualifications": []}),
    "LearnerOfficersChanged": ({"learner": LEARNER, "officers": []}, {"qualifications": []}),
    "ReconcileRequested": ({"learner_ident": "L1"}, {"run_id": None}),
    "OrganisationReconcileRequested": ({"organisation_id": "ORG-1"}, {"run_id": None}),
    "OfficerReconcileRequested": ({"officer_id": "OFF-1"}, {"run_id": None}),
    "QualificationProgress": (
        {"learner_ident": "L1", "qualification_id": "LQ-1", "sa_enrolment_id": "E1", "elements_done": 0},
        {
            "elements_total": None,
            "progress_assessed_pc": None,
            "progress_mapped_pc": None,
            "timeline_pc": None,
        },
    ),
    "ReviewUpserted": (
        {
            "learner_ident": "L1",
            "sa_session_id": "S1",
            "session_type": "General",
            "start": OCCURRED,
            "status": "planned",
        },
        {"actual": None, "duration_minutes": None, "assessor": None},
    ),
    "OtjHoursTotal": ({"learner_ident": "L1", "actual_hours": 0.0}, {"planned_hours": None}),
    "LearnerDemographicsPulled": (
        {"learner_ident": "L1"},
        {field: None for field in LEARNER_DEMOGRAPHICS if field != "learner_ident"},
    ),
    "QualificationDatesPulled": (
        {"learner_ident": "L1", "qualification_id": "LQ-1"},
        {"start_date": None, "planned_end_date": None},
    ),
    "OfficerPulled": (
        {"officer_id": "OFF-1", "sa_assessor_id": "9"},
        {field: None for field in SA_EVENTS["OfficerPulled"] if not field.endswith("_id")},
    ),
    "OrganisationPulled": (
        {"organisation_id": "ORG-1", "sa_employer_id": "9"},
        {field: None for field in SA_EVENTS["OrganisationPulled"] if not field.endswith("_id")},
    ),
}


@pytest.mark.parametrize("registry", REGISTRIES, indirect=True)
def test_round_trip(registry: SchemaRegistry | None) -> None:
    """A value encoded by one serde decodes to the same event in another sharing the registry."""
    data = AvroSerde(registry=registry).encode(TOPIC, learner_edited())

    event = AvroSerde(registry=registry).decode(data)

    assert event.envelope == Envelope(EVENT_ID, OCCURRED, "pics", SCHEMA_VERSION, ("surname",))
    assert (event.name, event.payload) == ("LearnerEdited", {"learner": LEARNER})
    assert event.writer_schema_id.startswith("fp:" if registry is None else "registry:")


@pytest.mark.parametrize("registry", REGISTRIES, indirect=True)
@pytest.mark.parametrize("name", list(EVENTS))
def test_round_trip_every_event(name: str, registry: SchemaRegistry | None) -> None:
    """Every event record round-trips on its own topic, with every framing."""
    value = new_event(name, EVENTS[name], changed_fields=["x"], occurred_at=OCCURRED, event_id=EVENT_ID)
    data = AvroSerde(registry=registry).encode(event_records()[name], value)

    event = AvroSerde(registry=registry).decode(data)

    assert event.envelope == Envelope(EVENT_ID, OCCURRED, source_of(name), SCHEMA_VERSION, ("x",))
    assert (event.name, event.payload) == (name, EVENTS[name])


@pytest.mark.parametrize("name", list(MINIMAL_EVENTS))
def test_defaults_fill_left_out_fields(name: str) -> None:
    """Fields with a default (null, []) may be left out when encoding and decode as the default."""
    payload, defaults = MINIMAL_EVENTS[name]
    serde = AvroSerde()

    event = serde.decode(serde.encode(event_records()[name], new_event(name, payload)))

    assert contains(event.payload, payload) and contains(event.payload, defaults)


def test_encode_event_on_the_wrong_topic() -> None:
    """An event record encoded for a topic whose union lacks it is refused, naming both."""
    value = new_event("OfficerEdited", EVENTS["OfficerEdited"])

    with pytest.raises(ValueError, match=r"OfficerEdited is not an event of topic 'pics\.learner'"):
        AvroSerde().encode(TOPIC, value)


@pytest.mark.parametrize(
    ("name", "topic"),
    [
        pytest.param("OfficerPulled", "pics.officer", id="pulled-on-pics-topic"),
        pytest.param("OfficerEdited", "sa.officer", id="pics-event-on-sa-topic"),
        pytest.param("SmartCoachRisk", "sa.organisation", id="learner-item-on-organisation-topic"),
    ],
)
def test_encode_across_namespaces_on_the_wrong_topic(name: str, topic: str) -> None:
    """A pulled event is refused on a PICS topic, a PICS event on an sa.* topic, and so on."""
    with pytest.raises(ValueError, match=f"{name} is not an event of topic '{topic}'"):
        AvroSerde().encode(topic, new_event(name, EVENTS[name]))


def with_fingerprint(data: bytes, fingerprint: bytes) -> bytes:
    """The single-object value ``data`` claiming another writer schema."""
    return data[:2] + fingerprint + data[10:]


UNDECODABLE: list[Any] = [
    pytest.param(lambda data: b"", "empty message", id="empty"),
    pytest.param(lambda data: None, "empty message", id="none-tombstone"),
    pytest.param(lambda data: b'{"learner_ident": 1}', "unknown framing", id="garbage-magic"),
    pytest.param(lambda data: data[:6], "truncated Avro single-object header", id="short-header"),
    pytest.param(lambda data: with_fingerprint(data, bytes(8)), "unknown writer schema", id="unknown-fp"),
    pytest.param(
        lambda data: b"\x00\x00\x00\x00\x07" + data[10:],
        "no schema registry is configured",
        id="confluent-without-registry",
    ),
    pytest.param(lambda data: data[:-9], "corrupt or truncated", id="truncated-body"),
    pytest.param(lambda data: data + b"\x00", "bytes left over", id="trailing-bytes"),
    pytest.param(lambda data: data[:10] + b"\xff" * 9, "corrupt or truncated", id="corrupt-body"),
]


@pytest.mark.parametrize(("mangle", "problem"), UNDECODABLE)
def test_undecodable(mangle: Callable[[bytes], bytes | None], problem: str) -> None:
    """Bytes that are not an event raise UndecodableEvent naming the problem, no personal data."""
    serde = AvroSerde()
    data = mangle(serde.encode(TOPIC, learner_edited()))

    with pytest.raises(UndecodableEvent, match=problem) as raised:
        serde.decode(data)

    assert LEARNER["surname"] not in str(raised.value)
    assert raised.value.__cause__ is None


def test_unknown_registry_id() -> None:
    """A Confluent-framed value whose schema id the registry lacks is undecodable."""
    serde = AvroSerde(registry=FakeRegistry())

    with pytest.raises(UndecodableEvent, match="schema id 7 is not in the schema registry"):
        serde.decode(b"\x00\x00\x00\x00\x07\x00")


def test_encode_unknown_topic() -> None:
    """Encoding for a topic without a record is a configuration error."""
    with pytest.raises(ConfigurationError, match=r"pics\.nothing"):
        AvroSerde().encode("pics.nothing", learner_edited())
