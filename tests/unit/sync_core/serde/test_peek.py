"""The envelope's event id and time, read from the framed bytes without decoding the event."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sandbox.pics.people import People
from sync_core.serde import AvroSerde, framing, new_event
from sync_core.serde.peek import event_id, occurred_at

SCHEMAS = Path(__file__).resolve().parents[4] / "schemas"
WHEN = datetime(2025, 3, 4, 5, 6, 7, 890_000, tzinfo=UTC)
NOT_EVENTS = [None, b"", b"\xc3\x01", b"\xc3\x01" + bytes(8), b"\x07junk", b"\x00\x00\x00\x00\x01\x48"]


@pytest.fixture(scope="module")
def serde() -> AvroSerde:
    return AvroSerde()


def edited(serde: AvroSerde) -> tuple[bytes, str]:
    """The bytes of a LearnerEdited event on pics.learner, and its event id."""
    learner = {**People(3).learner("L-1"), "smart_assessor_id": None}
    given = str(uuid.uuid4())
    event = new_event("LearnerEdited", {"learner": learner}, changed_fields=["email"], occurred_at=WHEN, event_id=given)
    return serde.encode("pics.learner", event), given


def test_occurred_at_is_read_from_the_envelope(serde: AvroSerde) -> None:
    """The envelope's occurred_at comes straight from the framed bytes, to the millisecond."""
    assert occurred_at(edited(serde)[0]) == WHEN.timestamp()


def test_event_id_is_read_from_the_envelope(serde: AvroSerde) -> None:
    """The id the full decode would give, read from the bytes."""
    data, expected = edited(serde)
    assert event_id(data) == expected == serde.decode(data).envelope.event_id


def test_both_under_confluent_framing(serde: AvroSerde) -> None:
    """Confluent framing (a 5-byte header) reads the same id and time as single-object encoding."""
    data, expected = edited(serde)
    body = data[10:]  # past the single-object header: magic and fingerprint
    assert occurred_at(framing.confluent_header(7) + body) == WHEN.timestamp()
    assert event_id(framing.confluent_header(7) + body) == expected


@pytest.mark.parametrize("data", NOT_EVENTS, ids=str)
def test_bytes_that_are_no_event_give_none(data: bytes | None) -> None:
    """Empty, truncated or unframed bytes give no id and no time rather than an error."""
    assert occurred_at(data) is None
    assert event_id(data) is None


def test_an_id_cut_short_is_none(serde: AvroSerde) -> None:
    """A value truncated inside its event id gives no id, not the part of it that arrived."""
    data, _ = edited(serde)
    assert event_id(data[:20]) is None


@pytest.mark.parametrize("path", sorted(SCHEMAS.glob("**/*Event.avsc")), ids=lambda p: str(p.relative_to(SCHEMAS)))
def test_every_topic_record_starts_with_event_id_and_occurred_at(path: Path) -> None:
    """The fast reads rely on it: every envelope, in every version, opens with these two fields."""
    fields = json.loads(path.read_text())["fields"]
    if not any(f["name"] == "event" for f in fields):
        pytest.skip("not an envelope record")
    assert [f["name"] for f in fields[:2]] == ["event_id", "occurred_at"]
    assert fields[0]["type"]["type"] == "string" and fields[1]["type"]["logicalType"] == "timestamp-millis"
