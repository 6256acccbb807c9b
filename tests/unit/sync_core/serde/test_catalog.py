"""The schemas/ package: every file parses and is documented, and data every released version wrote decodes."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import fastavro
import pytest
from fastavro.schema import load_schema

from sync_core.serde import SCHEMA_VERSION, TOPIC_RECORDS, AvroSerde
from sync_core.serde.catalog import current_schemas, fingerprint_of, history_schemas, plain
from sync_core.serde.framing import single_object_header
from tests.unit.sync_core.serde.samples import (
    EVENT_ID,
    EVENTS,
    LEARNER,
    LEARNER_DEMOGRAPHICS,
    OCCURRED,
    RECORD,
    SA_EVENTS,
    SCHEMA_DIR,
    contains,
    fullname_of,
    source_of,
)


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


def before_v5(payload: dict[str, Any]) -> dict[str, Any]:
    """A pulled item as v3 and v4 wrote it: without the run that read it (v5, for the drift record, D3)."""
    return {name: value for name, value in payload.items() if name != "run_id"}


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
            (TOPIC_RECORDS[topic], envelope(3, name, before_v5(SA_EVENTS[name])))
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
    4: [
        (RECORD, envelope(4, "LearnerOfficersChanged", EVENTS["LearnerOfficersChanged"])),
        ("pics.events.OrganisationEvent", envelope(4, "OrganisationEdited", EVENTS["OrganisationEdited"])),
        ("pics.events.OfficerEvent", envelope(4, "OfficerEdited", EVENTS["OfficerEdited"])),
        *(
            (TOPIC_RECORDS[topic], envelope(4, name, before_v5(SA_EVENTS[name])))
            for name, topic in [
                ("ReviewUpserted", "sa.learner"),
                ("OfficerPulled", "sa.officer"),
                ("OrganisationPulled", "sa.organisation"),
            ]
        ),
    ],
    5: [
        (RECORD, envelope(5, "ReconcileRequested", EVENTS["ReconcileRequested"])),
        ("pics.events.OrganisationEvent", envelope(5, "OrganisationEdited", EVENTS["OrganisationEdited"])),
        (
            "pics.events.OrganisationEvent",
            envelope(5, "OrganisationReconcileRequested", EVENTS["OrganisationReconcileRequested"]),
        ),
        ("pics.events.OfficerEvent", envelope(5, "OfficerEdited", EVENTS["OfficerEdited"])),
        ("pics.events.OfficerEvent", envelope(5, "OfficerReconcileRequested", EVENTS["OfficerReconcileRequested"])),
        *(
            (TOPIC_RECORDS[topic], envelope(5, name, SA_EVENTS[name]))
            for name, topic in [
                ("ReviewUpserted", "sa.learner"),
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
