"""A consumed message as the pipeline sees it."""

from __future__ import annotations

from confluent_kafka import Message

from consumers.kafka.messages import to_delivery


def test_a_consumed_message_with_an_unclean_key_is_delivered_under_its_hex_form() -> None:
    """The Kafka edge hands the pipeline the key's hex form, never U+FFFD."""
    msg = Message(topic="pics.learner", partition=1, offset=9, key=b"L1\x00\xff", value=b"v")
    assert to_delivery(msg).source.key == "hex:4c3100ff"
