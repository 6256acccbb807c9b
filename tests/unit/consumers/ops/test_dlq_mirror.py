"""The DLQ topic copy: only parked messages, as they were sent, with where they came from and why."""

from __future__ import annotations

from typing import Any

from consumers.ops.dlq_mirror import EVENT_TYPE, REASON, SOURCE, DlqMirror, each
from sync_core.outcome import Kind, Outcome, Source
from sync_core.pipeline.process import Delivery

DELIVERY = Delivery(Source("pics.learner", 2, 41, "L0001"), b"\xc3\x01avro", (("traceparent", b"00-ab"),))


class FakeProducer:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send(self, topic: str, key: str | None, value: bytes, headers: Any = (), **_options: Any) -> None:
        self.sent.append({"topic": topic, "key": key, "value": value, "headers": list(headers)})


def test_a_parked_message_is_copied_with_its_origin_and_reason() -> None:
    """The copy keeps key, bytes and headers, and adds source, reason (with the rule) and event type."""
    producer = FakeProducer()
    parked = Outcome(Kind.PARKED, "e1", "LearnerEdited", reason="not enrolled", rule="X2")
    DlqMirror(producer, "pics-sync.dlq").observe(DELIVERY, parked)  # type: ignore[arg-type]
    [copy] = producer.sent
    assert (copy["topic"], copy["key"], copy["value"]) == ("pics-sync.dlq", b"L0001", b"\xc3\x01avro")
    assert copy["headers"] == [
        ("traceparent", b"00-ab"),
        (SOURCE, b"pics.learner/2/41"),
        (REASON, b"not enrolled (X2)"),
        (EVENT_TYPE, b"LearnerEdited"),
    ]


def test_a_key_kept_in_hex_is_copied_as_the_bytes_the_message_carried() -> None:
    """A parked message with a NUL in its key reaches the DLQ topic under that same key, not its hex form."""
    producer = FakeProducer()
    unusable = Delivery(Source("pics.learner", 0, 3, "hex:4c3100ff"), b"\xc3\x01avro")
    DlqMirror(producer, "pics-sync.dlq").observe(unusable, Outcome(Kind.PARKED, reason="key"))  # type: ignore[arg-type]
    assert [copy["key"] for copy in producer.sent] == [b"L1\x00\xff"]


def test_applied_skipped_and_duplicate_messages_are_not_copied() -> None:
    """Only parked messages go to the DLQ topic."""
    producer = FakeProducer()
    mirror = DlqMirror(producer, "pics-sync.dlq")  # type: ignore[arg-type]
    for kind in (Kind.APPLIED, Kind.SKIPPED, Kind.DUPLICATE):
        mirror.observe(DELIVERY, Outcome(kind, "e1", "LearnerEdited"))
    assert producer.sent == []


def test_each_calls_every_observer_that_is_set_in_order() -> None:
    """Metrics and the mirror both hear of each outcome; an unset observer is left out."""
    heard: list[str] = []
    observe = each(lambda _d, _o: heard.append("metrics"), None, lambda _d, _o: heard.append("mirror"))
    observe(DELIVERY, Outcome(Kind.APPLIED))
    assert heard == ["metrics", "mirror"]
