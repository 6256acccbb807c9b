"""The consume loop: poll a batch, process each message, store its offset once its outcome is recorded.

An offset is stored only after the ledger holds the message's outcome, and the auto-commit
commits only stored offsets, so a crash at any point re-delivers at most the unfinished
messages, which the ledger and the pushed-state hashes then make no-ops.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import stamina
import structlog
from confluent_kafka import Consumer, Message

from consumers.kafka.errors import raise_for_msg_error
from consumers.kafka.messages import lag, to_delivery
from sync_core.outcome import Kind, Outcome
from sync_core.pipeline.process import PipelinePorts, process
from sync_core.retry import backoff_hook

log = structlog.get_logger("pics_sync.runtime")


@dataclass
class Tally:
    """Running counts of outcomes."""

    kinds: Counter[Kind] = field(default_factory=Counter)
    sa_calls: int = 0
    writes: Counter[str] = field(default_factory=Counter)
    pics_rows_changed: int = 0

    def count(self, kind: Kind) -> int:
        """How many messages ended as ``kind``."""
        return self.kinds[kind]

    def add(self, outcome: Outcome) -> None:
        """Count one message's outcome."""
        self.kinds[outcome.kind] += 1
        self.sa_calls += outcome.sa_calls
        for write in outcome.writes:  # Counter.update's checks cost more than these few additions
            self.writes[write] += 1
        self.pics_rows_changed += outcome.pics_rows_changed


@dataclass
class ConsumeLoop:
    """Consumes the subscribed topics and runs every message through the pipeline."""

    consumer: Consumer
    ports: PipelinePorts
    batch_size: int = 500
    poll_timeout: float = 0.5
    tally: Tally = field(default_factory=Tally)

    def run(self, stop: threading.Event) -> Tally:
        """Consume until ``stop`` is set."""
        while not stop.is_set():
            self.poll_once(stop)
        return self.tally

    def run_until_drained(self, stop: threading.Event, *, timeout: float = 300.0) -> Tally:
        """Consume until every assigned partition is read to its end (or ``timeout`` passes)."""
        deadline = time.monotonic() + timeout
        while not stop.is_set() and time.monotonic() < deadline:
            if self.poll_once(stop) == 0 and self.consumer.assignment() and lag(self.consumer) == 0:
                break
        return self.tally

    def poll_once(self, stop: threading.Event) -> int:
        """Process one batch; returns how many messages it held."""
        messages = self.consumer.consume(self.batch_size, timeout=self.poll_timeout)
        for msg in messages:
            if stop.is_set():
                break
            self._handle(msg, stop)
        return len(messages)

    def _handle(self, msg: Message, stop: threading.Event) -> None:
        raise_for_msg_error(msg)
        delivery = to_delivery(msg)
        for attempt in stamina.retry_context(on=backoff_hook, attempts=None, timeout=None, wait_max=10.0):
            with attempt:
                if stop.is_set():
                    return  # abandon: the offset is not stored, so the message comes again
                outcome = process(delivery, self.ports)
        self.tally.add(outcome)
        self.consumer.store_offsets(message=msg)
