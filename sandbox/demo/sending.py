"""Sending the simulated PICS's events, and hearing what became of each: the demo's journal keepers, and the
consumer that drains a profile's topics."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from consumers.kafka.clients import make_consumer
from consumers.loop import ParallelLoop
from consumers.producer import EventProducer
from consumers.service import Service
from sandbox.demo.journal import Journal, Sent
from sandbox.pics.people import People
from sandbox.pics.world import Emitted
from sync_core.config import kafka_settings
from sync_core.outcome import Outcome, Tally
from sync_core.pipeline.routes import PUSH_TOPICS
from sync_core.serde import new_event


@dataclass(frozen=True)
class DemoSize:
    """How much the demo does (per profile)."""

    learners: int = 500
    events: int = 5000
    duplicate_share: float = 0.02  # share of events delivered a second time
    seed: int = 7


class Sender:
    """Sends emitted PICS events, delivering a share of them twice, and notes each in a journal."""

    def __init__(
        self, service: Service, people: People, duplicate_share: float, journal: Journal | None = None
    ) -> None:
        config = service.config
        self.producer = EventProducer(kafka_settings(config), service.ports.serde, topic_prefix=config.topic_prefix)
        self.rng, self.share = people.rng, duplicate_share
        self.journal = journal or Journal()

    @property
    def sent(self) -> int:
        """Deliveries so far, second ones included."""
        return self.journal.deliveries

    def send_all(self, events: Iterable[Emitted], *, integration_on: bool = True) -> None:
        """Send and wait until the broker has every event; ``integration_on``: S1 while they are consumed."""
        for emitted in events:
            value = new_event(emitted.name, emitted.payload, changed_fields=emitted.changed)
            data = self.producer.send(emitted.topic, emitted.key, value)
            copies = 1
            if self.rng.random() < self.share:
                self.producer.send_raw(emitted.topic, emitted.key, data)
                copies = 2
            sent = Sent(value["event_id"], emitted.name, emitted.topic, emitted.key, emitted.payload, integration_on,
                        tuple(emitted.changed))  # fmt: skip
            self.journal.record(sent, copies)
        self.producer.flush()


@dataclass
class JournalTally(Tally):
    """A consumer's tally that also notes each outcome, by event id, in the journal."""

    journal: Journal = field(default_factory=Journal)

    def add(self, outcome: Outcome) -> None:
        super().add(outcome)
        self.journal.outcome(outcome.event_id, str(outcome.kind), outcome.rule, outcome.reason)


def consume(service: Service, tally: Tally, topics: tuple[str, ...] = PUSH_TOPICS, group: str | None = None) -> None:
    """Run a consumer until its topics are drained, adding to ``tally``."""
    config = service.config
    consumer = make_consumer(kafka_settings(config), group or config.kafka_group_id)
    loop = ParallelLoop(consumer, service.ports, concurrency=config.workers, tally=tally)
    loop.subscribe([config.topic_prefix + topic for topic in topics])
    try:
        loop.run_until_drained(threading.Event(), timeout=1800)
    finally:
        consumer.close()
