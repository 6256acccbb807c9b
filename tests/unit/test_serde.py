"""The event contract and its wire format: sync_core.serde and the schemas/ package."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import fastavro
import httpx
import pytest
from fastavro.schema import load_schema

import schemas
from sync_core.errors import ConfigurationError, FatalError, TransientError, UndecodableEvent
from sync_core.serde import (
    SCHEMA_VERSION,
    TOPIC_RECORDS,
    AvroSerde,
    BreakPhase,
    Envelope,
    HttpSchemaRegistry,
    SchemaRegistry,
    break_phase,
    event_records,
    new_event,
)
from sync_core.serde.catalog import current_schemas, fingerprint_of, history_schemas, plain
from sync_core.serde.framing import single_object_header
from sync_core.serde.registry import CONTENT_TYPE

TOPIC = "pics.learner"
RECORD = "pics.events.LearnerEvent"
EVENT_ID = "5b0e3c1a-8d1e-4c55-9b5e-0f6f1b2a3c4d"
OCCURRED = datetime(2025, 3, 4, 5, 6, 7, 890000, tzinfo=UTC)
SCHEMA_DIR = Path(schemas.__file__).parent

LEARNER: dict[str, Any] = {
    "learner_ident": "L000123",
    "first_name": "Ada",
    "surname": "Lovelace",
    "date_of_birth": date(2001, 12, 10),
    "uln": "1234567890",
    "lrn": "LRN-77",
    "email": "ada@example.org",
    "address_1": "1 St James's Square",
    "address_2": None,
    "address_3": None,
    "address_4": "London",
    "postcode": "SW1Y 4JU",
    "ni_number": "QQ123456C",
    "phone_number": None,
    "mobile_number": "07700 900123",
    "gender": "F",
    "ethnicity": "31",
    "disability": None,
    "system_status": "Live",
    "programme_status": "In Learning",
    "start_date": date(2024, 9, 1),
    "end_date": None,
    "smart_assessor_id": "SA-991",
    "planned_otj_hours": 278.5,
    "actual_otj_hours": 12.0,
    "risk": "Green",
}

ORGANISATION: dict[str, Any] = {
    "organisation_id": "ORG-42",
    "name": "Analytical Engines Ltd",
    "phone_number": "020 7946 0000",
    "edrs_number": "EDRS-1001",
    "address_1": "2 Babbage Row",
    "address_2": None,
    "address_3": None,
    "address_4": "London",
    "postcode": "EC1A 1BB",
    "website": "https://engines.example.org",
    "employer_size": "50-249",
    "additional_id": None,
}

OFFICER: dict[str, Any] = {
    "officer_id": "OFF-7",
    "first_name": "Charles",
    "surname": "Babbage",
    "email": "charles@example.org",
    "phone_number": None,
    "mobile_number": "07700 900456",
    "additional_id": "SA-ASSESSOR-3",
}

SECOND_OFFICER: dict[str, Any] = OFFICER | {
    "officer_id": "OFF-8",
    "first_name": "Mary",
    "additional_id": None,
}

OFFICERS: list[dict[str, Any]] = [
    {"role": "Main Officer", "officer": OFFICER},
    {"role": "IQA", "officer": SECOND_OFFICER},
]

QUALIFICATION: dict[str, Any] = {
    "qualification_id": "LQ-1",
    "qualification_reference": "ST0116",
    "title": "Software Developer Level 4",
    "start_date": date(2024, 9, 1),
    "planned_end_date": date(2026, 3, 31),
    "actual_end_date": None,
    "assessor": OFFICER,
    "completion_status": 1,
    "outcome": None,
}

CLOSED_QUALIFICATION: dict[str, Any] = QUALIFICATION | {
    "actual_end_date": date(2025, 3, 3),
    "completion_status": 2,
    "outcome": 1,
}

ON_BREAK_QUALIFICATION: dict[str, Any] = QUALIFICATION | {
    "assessor": None,
    "actual_end_date": date(2025, 2, 1),
    "completion_status": 6,
}

# What the daily pull reads from SA (DOMAIN.md section 5), as sa.* events.
PULLED_ASSESSOR: dict[str, Any] = {
    "sa_assessor_id": "1042",
    "first_name": "Charles",
    "surname": "Babbage",
    "email": "charles@example.org",
    "phone_number": None,
    "mobile_number": "07700 900456",
}

LEARNER_DEMOGRAPHICS: dict[str, Any] = {
    "learner_ident": "L000123",
    "first_name": "Ada",
    "surname": "King",
    "date_of_birth": date(2001, 12, 10),
    "email": "ada.king@example.org",
    "address_1": "1 St James's Square",
    "address_2": None,
    "address_3": None,
    "address_4": "London",
    "postcode": "SW1Y 4JU",
    "ni_number": "QQ123456C",
    "phone_number": None,
    "mobile_number": "07700 900123",
    "gender": "F",
    "ethnicity": "31",
}

SA_EVENTS: dict[str, dict[str, Any]] = {
    "QualificationProgress": {
        "learner_ident": "L000123",
        "qualification_id": "LQ-1",
        "sa_enrolment_id": "7f3c2e7a-0000-4000-8000-000000000001",
        "elements_done": 17,
        "elements_total": 40,
        "progress_assessed_pc": 42.5,
        "progress_mapped_pc": 50.0,
        "timeline_pc": 38.25,
    },
    "ReviewUpserted": {
        "learner_ident": "L000123",
        "sa_session_id": "S-5501",
        "session_type": "Formal Review",
        "start": datetime(2025, 3, 3, 9, 30, tzinfo=UTC),
        "actual": datetime(2025, 3, 3, 9, 35, 12, 345000, tzinfo=UTC),
        "duration_minutes": 60,
        "status": "attended",
        "assessor": PULLED_ASSESSOR,
    },
    "OtjHoursTotal": {"learner_ident": "L000123", "actual_hours": 101.5, "planned_hours": 278.5},
    "SmartCoachRisk": {"learner_ident": "L000123", "score": 0.82, "band": "High"},
    "LearnerDemographicsPulled": LEARNER_DEMOGRAPHICS,
    "QualificationDatesPulled": {
        "learner_ident": "L000123",
        "qualification_id": "LQ-1",
        "start_date": date(2024, 9, 2),
        "planned_end_date": date(2026, 4, 30),
    },
    "OfficerPulled": {
        "officer_id": "OFF-7",
        "sa_assessor_id": "1042",
        "first_name": "Charles",
        "surname": "Babbage",
        "email": "c.babbage@example.org",
        "phone_number": None,
        "mobile_number": "07700 900456",
    },
    "OrganisationPulled": {
        "organisation_id": "ORG-42",
        "sa_employer_id": "311",
        "name": "Analytical Engines Ltd",
        "phone_number": "020 7946 0001",
        "edrs_number": "EDRS-1001",
        "address_1": "2 Babbage Row",
        "address_2": None,
        "address_3": None,
        "address_4": "London",
        "postcode": "EC1A 1BB",
        "website": None,
        "employer_size": "50-249",
    },
}

SA_TOPICS = {"sa.learner", "sa.officer", "sa.organisation"}


def source_of(name: str) -> str:
    """The source new_event writes by default for event ``name``: its topic's producer."""
    return "smart-assessor" if event_records()[name] in SA_TOPICS else "pics"


def fullname_of(name: str) -> str:
    """The fullname of event record ``name``: sa.events on the sa.* topics, else pics.events."""
    return f"{'sa' if event_records()[name] in SA_TOPICS else 'pics'}.events.{name}"


# One payload of every event record, each on its topic, in the current contract's shape.
EVENTS: dict[str, dict[str, Any]] = {
    "LearnerEdited": {"learner": LEARNER},
    "LearnerEnrolled": {
        "learner": LEARNER,
        "placement": ORGANISATION,
        "officers": OFFICERS,
        "qualifications": [QUALIFICATION],
    },
    "EmployerChanged": {"learner": LEARNER, "placement": ORGANISATION, "previous_organisation_id": "ORG-41"},
    "QualificationChanged": {"learner": LEARNER, "qualification": QUALIFICATION, "officers": OFFICERS},
    "IlrAimClosed": {"learner": LEARNER, "qualification": CLOSED_QUALIFICATION},
    "BreakInLearning": {
        "learner": LEARNER,
        "phase": "start",
        "break_date": date(2025, 2, 1),
        "qualifications": [ON_BREAK_QUALIFICATION],
    },
    "RefreshRequested": {"learner": LEARNER, "placement": None, "officers": [], "qualifications": []},
    "OrganisationEdited": {"organisation": ORGANISATION},
    "OfficerEdited": {"officer": OFFICER},
    **SA_EVENTS,
}

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


def envelope(version: int, name: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A topic value as contract ``version`` wrote it, carrying event ``name``."""
    return {
        "event_id": EVENT_ID,
        "occurred_at": OCCURRED,
        "source": source_of(name),
        "schema_version": version,
        "changed_fields": ["surname"],
        "event": (fullname_of(name), payload),
    }


# Values written by each released contract version, in that version's own shape, as
# (topic record, value). Releasing v<n> means adding its samples here.
WRITTEN_BY_VERSION: dict[int, list[tuple[str, dict[str, Any]]]] = {
    1: [(RECORD, envelope(1, "LearnerEdited", {"learner": LEARNER}))],
    2: [
        (RECORD, envelope(2, "LearnerEdited", {"learner": LEARNER})),
        (RECORD, envelope(2, "LearnerEnrolled", EVENTS["LearnerEnrolled"])),
        (RECORD, envelope(2, "QualificationChanged", EVENTS["QualificationChanged"])),
        (RECORD, envelope(2, "BreakInLearning", EVENTS["BreakInLearning"])),
        ("pics.events.OrganisationEvent", envelope(2, "OrganisationEdited", EVENTS["OrganisationEdited"])),
        ("pics.events.OfficerEvent", envelope(2, "OfficerEdited", EVENTS["OfficerEdited"])),
    ],
    3: [
        (RECORD, envelope(3, "LearnerEdited", {"learner": LEARNER})),
        (RECORD, envelope(3, "RefreshRequested", EVENTS["RefreshRequested"])),
        ("pics.events.OrganisationEvent", envelope(3, "OrganisationEdited", EVENTS["OrganisationEdited"])),
        ("pics.events.OfficerEvent", envelope(3, "OfficerEdited", EVENTS["OfficerEdited"])),
        *(
            (TOPIC_RECORDS[topic], envelope(3, name, SA_EVENTS[name]))
            for name, topic in [
                ("QualificationProgress", "sa.learner"),
                ("ReviewUpserted", "sa.learner"),
                ("OtjHoursTotal", "sa.learner"),
                ("SmartCoachRisk", "sa.learner"),
                ("LearnerDemographicsPulled", "sa.learner"),
                ("QualificationDatesPulled", "sa.learner"),
                ("OfficerPulled", "sa.officer"),
                ("OrganisationPulled", "sa.organisation"),
            ]
        ),
    ],
}


def written_samples() -> list[Any]:
    """Every sample of WRITTEN_BY_VERSION as a pytest param ``v<n>-<event>``."""
    return [
        pytest.param(version, record, value, id=f"v{version}-{value['event'][0].rpartition('.')[2]}")
        for version, samples in sorted(WRITTEN_BY_VERSION.items())
        for record, value in samples
    ]


def contains(decoded: Any, written: Any) -> bool:
    """Whether ``decoded`` holds everything ``written`` did; records may have gained fields."""
    if isinstance(written, dict):
        return isinstance(decoded, dict) and all(
            key in decoded and contains(decoded[key], value) for key, value in written.items()
        )
    if isinstance(written, list):
        return (
            isinstance(decoded, list)
            and len(decoded) == len(written)
            and all(contains(d, w) for d, w in zip(decoded, written, strict=True))
        )
    return bool(decoded == written)


def learner_edited() -> dict[str, Any]:
    """A LearnerEdited topic value with fixed id and time."""
    return new_event(
        "LearnerEdited",
        {"learner": LEARNER},
        changed_fields=["surname"],
        occurred_at=OCCURRED,
        event_id=EVENT_ID,
    )


class FakeRegistry:
    """An in-memory schema registry: ids from 1, one id per distinct schema."""

    def __init__(self) -> None:
        self.schemas: dict[int, Mapping[str, Any]] = {}

    def register(self, subject: str, schema: Mapping[str, Any]) -> int:
        """Returns the id of an equal schema, or a new one."""
        for schema_id, known in self.schemas.items():
            if known == schema:
                return schema_id
        self.schemas[len(self.schemas) + 1] = schema
        return len(self.schemas)

    def schema_by_id(self, schema_id: int) -> Mapping[str, Any]:
        """The schema with that id; KeyError when there is none."""
        return self.schemas[schema_id]


class RegistryServer:
    """The Confluent Schema Registry REST endpoints the adapter uses, for httpx.MockTransport."""

    def __init__(self) -> None:
        self.schemas: dict[int, str] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        """Answers one request as the registry would."""
        assert request.headers["accept"] == CONTENT_TYPE
        match request.method, request.url.path.split("/")[1:]:
            case "POST", ["subjects", subject, "versions"] if subject.endswith("-value"):
                assert request.headers["content-type"] == CONTENT_TYPE
                return httpx.Response(200, json={"id": self._register(request)})
            case "GET", ["schemas", "ids", schema_id] if int(schema_id) in self.schemas:
                return httpx.Response(200, json={"schema": self.schemas[int(schema_id)]})
        return httpx.Response(404, json={"error_code": 40403, "message": "Schema not found"})

    def _register(self, request: httpx.Request) -> int:
        """Stores the posted schema text under a new id unless already known."""
        text = json.loads(request.content)["schema"]
        for schema_id, known in self.schemas.items():
            if known == text:
                return schema_id
        self.schemas[len(self.schemas) + 1] = text
        return len(self.schemas)


@pytest.fixture
def registry(request: pytest.FixtureRequest) -> Iterator[SchemaRegistry | None]:
    """No registry, the in-memory fake, or the HTTP adapter against RegistryServer."""
    if request.param == "http":
        transport = httpx.MockTransport(RegistryServer())
        with httpx.Client(base_url="http://registry.test", transport=transport) as client:
            yield HttpSchemaRegistry(client)
    else:
        yield FakeRegistry() if request.param == "fake" else None


REGISTRIES = [
    pytest.param(None, id="single-object"),
    pytest.param("fake", id="confluent-fake-registry"),
    pytest.param("http", id="confluent-http-registry"),
]


def crc64_avro(data: bytes) -> int:
    """The CRC-64-AVRO fingerprint as the Avro specification writes it out."""
    empty = 0xC15D213AA4D7A795
    table = []
    for byte in range(256):
        value = byte
        for _ in range(8):
            value = (value >> 1) ^ (empty & -(value & 1))
        table.append(value)
    fingerprint = empty
    for byte in data:
        fingerprint = (fingerprint >> 8) ^ table[(fingerprint ^ byte) & 0xFF]
    return fingerprint


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


def test_every_event_has_a_sample() -> None:
    """EVENTS holds a payload of every event record the topic unions name."""
    assert set(EVENTS) == set(event_records())


def test_event_records() -> None:
    """event_records maps each event record's short name to the topic whose union holds it."""
    assert dict(event_records()) == {
        "LearnerEdited": "pics.learner",
        "LearnerEnrolled": "pics.learner",
        "EmployerChanged": "pics.learner",
        "QualificationChanged": "pics.learner",
        "IlrAimClosed": "pics.learner",
        "BreakInLearning": "pics.learner",
        "RefreshRequested": "pics.learner",
        "OrganisationEdited": "pics.organisation",
        "OfficerEdited": "pics.officer",
        "QualificationProgress": "sa.learner",
        "ReviewUpserted": "sa.learner",
        "OtjHoursTotal": "sa.learner",
        "SmartCoachRisk": "sa.learner",
        "LearnerDemographicsPulled": "sa.learner",
        "QualificationDatesPulled": "sa.learner",
        "OfficerPulled": "sa.officer",
        "OrganisationPulled": "sa.organisation",
    }


def test_learner_edited_stays_first_in_the_union() -> None:
    """The v1 branch keeps its place: new learner events are appended to the union."""
    assert next(iter(event_records())) == "LearnerEdited"


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


@pytest.mark.parametrize(
    ("value", "phase"),
    [
        pytest.param("start", BreakPhase.START, id="start"),
        pytest.param("return", BreakPhase.RETURN, id="return"),
    ],
)
def test_break_phase(value: str, phase: BreakPhase) -> None:
    """break_phase reads the two phases the contract names."""
    assert break_phase(value) is phase


def test_break_phase_unknown() -> None:
    """An unknown phase is an event we cannot read: UndecodableEvent, so it is parked."""
    with pytest.raises(UndecodableEvent, match="phase 'pause' is not one of start, return"):
        break_phase("pause")


def test_new_event_refuses_unknown_break_phase() -> None:
    """new_event refuses a BreakInLearning whose phase the contract does not name."""
    with pytest.raises(ValueError, match="phase 'Start'"):
        new_event("BreakInLearning", EVENTS["BreakInLearning"] | {"phase": "Start"})


@pytest.mark.parametrize("name", ["LearnerEdited", "pics.events.LearnerEdited"], ids=["short", "fullname"])
def test_new_event_names_the_branch(name: str) -> None:
    """new_event takes an event record's short name or fullname and writes the fullname."""
    assert new_event(name, {"learner": LEARNER})["event"][0] == "pics.events.LearnerEdited"


@pytest.mark.parametrize(
    ("name", "fullname"),
    [
        pytest.param("ReviewUpserted", "sa.events.ReviewUpserted", id="sa-short"),
        pytest.param("sa.events.ReviewUpserted", "sa.events.ReviewUpserted", id="sa-fullname"),
        pytest.param("OrganisationPulled", "sa.events.OrganisationPulled", id="sa-organisation"),
        pytest.param("pics.events.OfficerEdited", "pics.events.OfficerEdited", id="pics-fullname"),
    ],
)
def test_new_event_names_the_branch_in_either_namespace(name: str, fullname: str) -> None:
    """The fullname lookup spans pics.events and sa.events; short names are unique across both."""
    assert new_event(name, {})["event"][0] == fullname


@pytest.mark.parametrize(
    ("name", "source"),
    [
        pytest.param("LearnerEdited", "pics", id="pics"),
        pytest.param("OtjHoursTotal", "smart-assessor", id="sa-learner"),
        pytest.param("OfficerPulled", "smart-assessor", id="sa-officer"),
        pytest.param("OrganisationPulled", "smart-assessor", id="sa-organisation"),
    ],
)
def test_new_event_source_defaults_to_the_topics(name: str, source: str) -> None:
    """Unless given, the source is the default of the topic record's envelope field."""
    assert new_event(name, {})["source"] == source
    assert new_event(name, {}, source="replay")["source"] == "replay"


def test_pulled_demographics_carry_no_uln_and_no_disability() -> None:
    """P9, L2: ULN is push-only and disability never pulled, so the pulled record has neither."""
    schema = json.loads((SCHEMA_DIR / "sa.events.LearnerDemographicsPulled.avsc").read_text(encoding="utf-8"))
    fields = {field["name"] for field in schema["fields"]}

    assert "uln" not in fields and "disability" not in fields
    assert fields == set(LEARNER_DEMOGRAPHICS)


def test_pulled_nullable_fields_default_to_null() -> None:
    """Every nullable field of the sa.events records defaults to null, so it may be left out."""
    for path in sorted(SCHEMA_DIR.glob("sa.events.*.avsc")):
        for field in json.loads(path.read_text(encoding="utf-8"))["fields"]:
            if isinstance(field["type"], list) and "null" in field["type"] and field["name"] != "event":
                assert field["type"][0] == "null" and field.get("default", "missing") is None, (
                    f"{path.stem}.{field['name']}"
                )


@pytest.mark.parametrize(
    "name",
    [
        "Learner",
        "LearnerEvent",
        "Nothing",
        "other.ns.LearnerEdited",
        "SaLearnerEvent",
        "PulledAssessor",
        "pics.events.OfficerPulled",
        "sa.events.OfficerEdited",
    ],
    ids=[
        "not-an-event",
        "topic-record",
        "unknown",
        "wrong-namespace",
        "sa-topic-record",
        "sa-not-an-event",
        "sa-event-pics-namespace",
        "pics-event-sa-namespace",
    ],
)
def test_new_event_refuses_unknown_name(name: str) -> None:
    """new_event refuses a name that is no event record."""
    with pytest.raises(ValueError, match="is not an event record"):
        new_event(name, {})


@pytest.mark.parametrize("registry", REGISTRIES[:1], indirect=True)
def test_single_object_framing(registry: None) -> None:
    """Without a registry a value starts C3 01 and the schema's CRC-64-AVRO, little endian."""
    canonical = fastavro.schema.to_parsing_canonical_form(load_schema(str(SCHEMA_DIR / f"{RECORD}.avsc")))

    data = AvroSerde(registry=registry).encode(TOPIC, learner_edited())

    assert data[:2] == b"\xc3\x01"
    assert data[2:10] == crc64_avro(canonical.encode()).to_bytes(8, "little")


@pytest.mark.parametrize("registry", REGISTRIES[1:], indirect=True)
def test_confluent_framing(registry: SchemaRegistry) -> None:
    """With a registry a value starts 00 and the big-endian id the registry gave the schema."""
    schema_id = registry.register("pics.learner-value", plain(current_schemas()[RECORD]))

    data = AvroSerde(registry=registry).encode(TOPIC, learner_edited())

    assert data[:5] == b"\x00" + schema_id.to_bytes(4, "big")


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


def test_every_version_has_samples() -> None:
    """Each released version has written samples, of every topic record that version defines."""
    history = history_schemas()

    assert set(WRITTEN_BY_VERSION) == set(history)
    for version, samples in WRITTEN_BY_VERSION.items():
        defined = {record for record in TOPIC_RECORDS.values() if record in history[version]}
        assert {record for record, _ in samples} == defined, f"v{version}"


@pytest.mark.parametrize(("version", "record", "value"), written_samples())
def test_older_versions_decode(version: int, record: str, value: dict[str, Any]) -> None:
    """Data written with every released topic schema decodes with the current serde."""
    schema = history_schemas()[version][record]
    body = io.BytesIO()
    fastavro.schemaless_writer(body, schema, value, strict_allow_default=True)

    event = AvroSerde().decode(single_object_header(fingerprint_of(schema)) + body.getvalue())

    name, payload = value["event"]
    assert (event.envelope.schema_version, event.name) == (version, name.rpartition(".")[2])
    assert contains(event.payload, payload)


def test_current_contract_is_released() -> None:
    """The current schemas are the newest history version, which is SCHEMA_VERSION."""
    history = history_schemas()
    newest = max(history)
    current = {name: plain(schema) for name, schema in current_schemas().items()}

    assert (newest, current) == (SCHEMA_VERSION, {n: plain(s) for n, s in history[newest].items()})


@pytest.mark.parametrize(
    "path",
    sorted(SCHEMA_DIR.rglob("*.avsc")),
    ids=lambda path: str(path.relative_to(SCHEMA_DIR)),
)
def test_schema_file_parses(path: Path) -> None:
    """Every .avsc parses, is named after its record's fullname and documents it and its fields."""
    parsed = load_schema(str(path))
    raw = json.loads(path.read_text(encoding="utf-8"))

    assert isinstance(parsed, dict) and parsed["name"] == path.stem
    assert raw["doc"] and all(field["doc"] for field in raw["fields"])


def test_topic_records_exist() -> None:
    """Every topic's value record is defined in schemas/."""
    assert set(TOPIC_RECORDS.values()) <= set(current_schemas())


@pytest.mark.parametrize(
    ("answer", "call", "error"),
    [
        pytest.param(httpx.Response(503), "schema_by_id", TransientError, id="5xx-transient"),
        pytest.param(httpx.ConnectError("refused"), "schema_by_id", TransientError, id="down"),
        pytest.param(httpx.Response(404), "schema_by_id", KeyError, id="unknown-id"),
        pytest.param(httpx.Response(409, json={}), "register", FatalError, id="incompatible"),
        pytest.param(httpx.Response(404), "register", FatalError, id="register-not-found"),
    ],
)
def test_http_registry_errors(answer: httpx.Response | Exception, call: str, error: type[Exception]) -> None:
    """The HTTP adapter translates the registry's failures into our errors once."""

    def handle(request: httpx.Request) -> httpx.Response:
        if isinstance(answer, Exception):
            raise answer
        return answer

    with httpx.Client(base_url="http://registry.test", transport=httpx.MockTransport(handle)) as c:
        adapter = HttpSchemaRegistry(c)
        with pytest.raises(error):
            adapter.register("s", {}) if call == "register" else adapter.schema_by_id(1)


def test_encode_unknown_topic() -> None:
    """Encoding for a topic without a record is a configuration error."""
    with pytest.raises(ConfigurationError, match=r"pics\.nothing"):
        AvroSerde().encode("pics.nothing", learner_edited())


def test_new_event_refuses_naive_time() -> None:
    """A naive occurred_at is refused rather than guessed to be UTC."""
    with pytest.raises(ValueError, match="timezone-aware"):
        new_event("LearnerEdited", {"learner": LEARNER}, occurred_at=datetime(2025, 1, 1))
