"""Publishing events: encode with the serde, key by PICS id, deliver with an idempotent producer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from consumers.kafka.clients import Kafka, RawProducer
from sync_core.serde import AvroSerde


class EventProducer:
    """Sends events to logical topics (``pics.learner``…) under the configured prefix."""

    def __init__(self, kafka: Kafka, serde: AvroSerde, *, topic_prefix: str = "") -> None:
        self._producer = RawProducer(kafka)
        self._serde = serde
        self._prefix = topic_prefix

    def send(self, logical_topic: str, key: str, value: Mapping[str, Any]) -> bytes:
        """Encode and send one event; returns the bytes sent (so a test can send them again)."""
        data = self._serde.encode(logical_topic, value)
        self.send_raw(logical_topic, key, data)
        return data

    def send_raw(self, logical_topic: str, key: str | None, data: bytes) -> None:
        """Send bytes as they are (a duplicate delivery, or a deliberately broken message)."""
        self._producer.send(self._prefix + logical_topic, key, data)

    def flush(self, timeout: float = 60.0) -> None:
        """Wait until every event is acknowledged by the broker; ``TransientError`` if any was not."""
        self._producer.flush(timeout)
