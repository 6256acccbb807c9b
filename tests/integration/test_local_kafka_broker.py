"""The local KRaft broker (sandbox.stack.kafka_broker) serves a producer and a consumer, and survives
a restart with its data. It starts its own broker, since the broker is what is under test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from confluent_kafka import Consumer, Message, Producer

from sandbox.stack.kafka_broker import LocalKafka
from tests.support import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def kafka() -> Iterator[LocalKafka]:
    """One broker for this module, removed with its data afterwards."""
    with LocalKafka() as broker:
        yield broker


def _produce(kafka: LocalKafka, topic: str, values: list[bytes]) -> None:
    producer = Producer({"bootstrap.servers": kafka.bootstrap_servers})
    for value in values:
        # One key, so one partition, so the order is Kafka's to keep.
        producer.produce(topic, key=b"learner-1", value=value)
    assert producer.flush(30) == 0


def _consume(kafka: LocalKafka, topic: str, count: int) -> list[bytes | None]:
    consumer = Consumer(
        {
            "bootstrap.servers": kafka.bootstrap_servers,
            "group.id": f"test-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    received: list[Message] = []

    def read_all() -> bool:
        message = consumer.poll(0.2)
        if message is not None:
            assert message.error() is None, message.error()
            received.append(message)
        return len(received) >= count

    try:
        wait_until(read_all, timeout=30)
    finally:
        consumer.close()
    return [message.value() for message in received]


def _new_topic() -> str:
    return f"broker-test-{uuid.uuid4().hex[:8]}"


def test_messages_round_trip_in_order(kafka: LocalKafka) -> None:
    """Three messages produced to a new, auto-created topic are consumed back in order."""
    topic = _new_topic()
    _produce(kafka, topic, [b"one", b"two", b"three"])
    assert _consume(kafka, topic, 3) == [b"one", b"two", b"three"]


def test_restart_keeps_produced_messages(kafka: LocalKafka) -> None:
    """A message produced before restart() is still readable after it, on the same address."""
    topic = _new_topic()
    before = kafka.bootstrap_servers
    _produce(kafka, topic, [b"before-restart"])
    kafka.restart()
    assert kafka.bootstrap_servers == before
    assert _consume(kafka, topic, 1) == [b"before-restart"]
