"""Publishing events: encode with the serde, key by PICS id, deliver with an idempotent producer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from confluent_kafka import KafkaError, Message

from consumers.kafka.clients import Kafka, make_producer
from sync_core.errors import TransientError
from sync_core.serde import AvroSerde


class EventProducer:
    """Sends events to logical topics (``pics.learner``…) under the configured prefix."""

    def __init__(self, kafka: Kafka, serde: AvroSerde, *, topic_prefix: str = "") -> None:
        self._producer = make_producer(kafka)
        self._serde = serde
        self._prefix = topic_prefix
        self._failures: list[str] = []

    def send(self, logical_topic: str, key: str, value: Mapping[str, Any]) -> bytes:
        """Encode and send one event; returns the bytes sent (so a test can send them again)."""
        data = self._serde.encode(logical_topic, value)
        self.send_raw(logical_topic, key, data)
        return data

    def send_raw(self, logical_topic: str, key: str | None, data: bytes) -> None:
        """Send bytes as they are (a duplicate delivery, or a deliberately broken message)."""
        topic = self._prefix + logical_topic
        while True:
            try:
                self._producer.produce(topic, key=key, value=data, on_delivery=self._delivered)
                break
            except BufferError:  # the local queue is full: let it drain
                self._producer.poll(0.1)
        self._producer.poll(0)

    def flush(self, timeout: float = 60.0) -> None:
        """Wait until every event is acknowledged by the broker."""
        if self._producer.flush(timeout) > 0 or self._failures:
            raise TransientError(f"{len(self._failures)} events not delivered: {self._failures[:3]}")

    def _delivered(self, error: KafkaError | None, _msg: Message) -> None:
        if error is not None:
            self._failures.append(error.str())
