"""Parked events mirrored to a DLQ topic, for teams whose alerting watches Kafka rather than a database.

``sync.parked_events`` stays the record that ``pics-sync dlq`` and the console redrive and discard;
the topic (``PICS_SYNC_DLQ_TOPIC``) gets a copy of each parked message: its key as the message
carried it (one kept in hex too: ``sync_core.pipeline.keys``), its original bytes and headers, plus
where it came from and why it parked. The copy is sent after the event is parked and at least once:
an event parked again after a crash or a redrive is mirrored again.

The copy is best effort; the parked row is the truth. Nothing of the mirror reaches the worker that
parked the event: a copy the broker refuses (larger than the producer's ``message.max.bytes``, a
topic that is gone) or that never arrives (the delivery report, up to ``message.timeout.ms`` later)
is a ``dlq.mirror_failed`` line naming the parked message's topic, partition and offset, and a
local queue still full after ``wait_s`` (the broker is down) drops the copy with the same line
rather than holding the worker.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog

from consumers.kafka.clients import Headers, RawProducer
from sync_core.errors import SyncError
from sync_core.outcome import Kind, Outcome, Source
from sync_core.pipeline import keys
from sync_core.pipeline.process import Delivery

log = structlog.get_logger("pics_sync.dlq")
Observer = Callable[[Delivery, Outcome], None]
SOURCE, REASON, EVENT_TYPE = "pics-sync-source", "pics-sync-reason", "pics-sync-event-type"


class DlqMirror:
    """Copies each parked message to ``topic`` with ``producer`` (an idempotent one), never raising."""

    def __init__(self, producer: RawProducer, topic: str, *, wait_s: float = 5.0) -> None:
        self._producer, self.topic, self.wait_s = producer, topic, wait_s

    def observe(self, delivery: Delivery, outcome: Outcome) -> None:
        """``ParallelLoop.observe``: mirror the message if it parked; a failure is logged, not raised."""
        if outcome.kind is not Kind.PARKED:
            return
        source = delivery.source
        try:
            self._producer.send(
                self.topic, keys.as_bytes(source.key), delivery.value, _headers(delivery, outcome), wait_s=self.wait_s,
                on_failed=lambda code, reason: _failed(source, code=code, reason=reason),
            )  # fmt: skip
        except Exception as refused:  # the worker parked its event: a copy that cannot go is only a log line
            said = str(refused) if isinstance(refused, SyncError) else None  # ours name no value; others may
            _failed(source, error=type(refused).__name__, reason=said)

    def close(self, timeout: float = 30.0) -> None:
        """Wait up to ``timeout`` for the copies still queued; those left are a logged count."""
        left = self._producer.close(timeout)
        if left:
            log.error("dlq.mirror_failed", count=left, reason=f"still queued after {timeout:g} s")


def _headers(delivery: Delivery, outcome: Outcome) -> Headers:
    source = delivery.source
    why = f"{outcome.reason} ({outcome.rule})" if outcome.rule else outcome.reason or ""
    return [
        *delivery.headers,
        (SOURCE, f"{source.topic}/{source.partition}/{source.offset}".encode()),
        (REASON, why.encode()),
        (EVENT_TYPE, (outcome.event_type or "").encode()),
    ]


def _failed(source: Source, **why: str | None) -> None:
    """One copy not mirrored: where its parked message came from, and what went wrong."""
    log.error("dlq.mirror_failed", topic=source.topic, partition=source.partition, offset=source.offset, **why)


def each(*observers: Observer | None) -> Observer:
    """One observer calling each of ``observers`` that is set, in order."""
    chosen = [observer for observer in observers if observer is not None]

    def observe(delivery: Delivery, outcome: Outcome) -> None:
        for observer in chosen:
            observer(delivery, outcome)

    return observe
