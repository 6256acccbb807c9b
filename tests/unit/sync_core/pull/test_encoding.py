"""The pull's last check before the send (P14): an item the Avro schema refuses is dropped alone, by field."""

from __future__ import annotations

from structlog.testing import capture_logs

from sync_core.pull.encoding import encode
from sync_core.pull.reads import Read
from sync_core.serde import AvroSerde

OTJ = {"learner_ident": "L1", "actual_hours": 12.5, "planned_hours": None}


def test_p14_an_item_the_schema_refuses_is_dropped_alone_naming_its_field() -> None:
    """P14: a payload with a value of the wrong type is dropped and reported by field; the learner's other items are sent."""
    read = Read("L1", run_id=3)
    read.add("OtjHoursTotal", "L1", lambda: OTJ)
    read.add("SmartCoachRisk", "L1", lambda: {"learner_ident": "L1", "score": 0.9, "band": 3})
    read.add("QualificationProgress", "Q1", lambda: {"score": "0.9 (secret)"})
    with capture_logs() as logs:
        ready = encode(read, AvroSerde())
    assert [(topic, key) for topic, key, _data in ready.messages] == [("sa.learner", "L1")]
    assert [d.reason for d in ready.read.dropped] == [
        "SmartCoachRisk band: does not fit the schema (TypeError)",
        "QualificationProgress ?: does not fit the schema (ValueError)",
    ]
    assert "secret" not in repr(logs)
