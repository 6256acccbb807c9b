"""Parked events mirrored to a DLQ topic, for teams whose alerting watches Kafka rather than a database.

``sync.parked_events`` stays the record that ``pics-sync dlq`` and the console redrive and discard;
the topic (``PICS_SYNC_DLQ_TOPIC``) gets a copy of each parked message: its key, its original bytes
and headers, plus where it came from and why it parked. The copy is sent after the event is parked
and at least once: an event parked again after a crash or a redrive is mirrored again.
"""

from __future__ import annotations

from collections.abc import Callable

from confluent_kafka import Producer

from sync_core.outcome import Kind, Outcome
from sync_core.pipeline.process import Delivery

Observer = Callable[[Delivery, Outcome], None]
SOURCE, REASON, EVENT_TYPE = "pics-sync-source", "pics-sync-reason", "pics-sync-event-type"


class DlqMirror:
    """Copies each parked message to ``topic`` with ``producer`` (an idempotent one)."""

    def __init__(self, producer: Producer, topic: str) -> None:
        self._producer, self.topic = producer, topic

    def observe(self, delivery: Delivery, outcome: Outcome) -> None:
        """``ParallelLoop.observe``: mirror the message if it parked."""
        if outcome.kind is not Kind.PARKED:
            return
        source = delivery.source
        why = f"{outcome.reason} ({outcome.rule})" if outcome.rule else outcome.reason or ""
        headers: list[tuple[str, str | bytes | None]] = [
            *delivery.headers,
            (SOURCE, f"{source.topic}/{source.partition}/{source.offset}".encode()),
            (REASON, why.encode()),
            (EVENT_TYPE, (outcome.event_type or "").encode()),
        ]
        while True:
            try:
                self._producer.produce(self.topic, key=source.key, value=delivery.value, headers=headers)
                break
            except BufferError:  # the local queue is full: let it drain
                self._producer.poll(0.1)
        self._producer.poll(0)

    def close(self, timeout: float = 30.0) -> None:
        """Wait for the copies still queued."""
        self._producer.flush(timeout)


def each(*observers: Observer | None) -> Observer:
    """One observer calling each of ``observers`` that is set, in order."""
    chosen = [observer for observer in observers if observer is not None]

    def observe(delivery: Delivery, outcome: Outcome) -> None:
        for observer in chosen:
            observer(delivery, outcome)

    return observe
