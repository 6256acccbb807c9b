"""Parked events mirrored to a DLQ topic, for teams whose alerting watches Kafka rather than a database.

``sync.parked_events`` stays the record that ``pics-sync dlq`` and the console redrive and discard;
the topic (``PICS_SYNC_DLQ_TOPIC``) gets a copy of each parked message: its key, its original bytes
and headers, plus where it came from and why it parked. The copy is sent after the event is parked
and at least once: an event parked again after a crash or a redrive is mirrored again.
"""

from __future__ import annotations

from collections.abc import Callable

from consumers.kafka.clients import Headers, RawProducer
from sync_core.outcome import Kind, Outcome
from sync_core.pipeline.process import Delivery

Observer = Callable[[Delivery, Outcome], None]
SOURCE, REASON, EVENT_TYPE = "pics-sync-source", "pics-sync-reason", "pics-sync-event-type"


class DlqMirror:
    """Copies each parked message to ``topic`` with ``producer`` (an idempotent one)."""

    def __init__(self, producer: RawProducer, topic: str) -> None:
        self._producer, self.topic = producer, topic

    def observe(self, delivery: Delivery, outcome: Outcome) -> None:
        """``ParallelLoop.observe``: mirror the message if it parked."""
        if outcome.kind is not Kind.PARKED:
            return
        source = delivery.source
        why = f"{outcome.reason} ({outcome.rule})" if outcome.rule else outcome.reason or ""
        headers: Headers = [
            *delivery.headers,
            (SOURCE, f"{source.topic}/{source.partition}/{source.offset}".encode()),
            (REASON, why.encode()),
            (EVENT_TYPE, (outcome.event_type or "").encode()),
        ]
        self._producer.send(self.topic, source.key, delivery.value, headers)

    def close(self, timeout: float = 30.0) -> None:
        """Wait for the copies still queued."""
        self._producer.close(timeout)


def each(*observers: Observer | None) -> Observer:
    """One observer calling each of ``observers`` that is set, in order."""
    chosen = [observer for observer in observers if observer is not None]

    def observe(delivery: Delivery, outcome: Outcome) -> None:
        for observer in chosen:
            observer(delivery, outcome)

    return observe
