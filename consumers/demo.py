"""``pics-sync demo``: learners linked in SA, a stream of PICS edits, the consumer, and a check.

The check compares what SA holds with PICS's latest values under the settings in force, learner
by learner, so the summary says whether the sync is right, not just that it ran.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from consumers.kafka_edge import ensure_topics, make_consumer
from consumers.producer import EventProducer
from consumers.runtime import ConsumeLoop, Tally
from consumers.service import Service, open_service
from sandbox.people import People
from sync_core.config import RuntimeConfig
from sync_core.outcome import Kind
from sync_core.pics.learners import LearnerRepository
from sync_core.rules.learner import pushed_fields
from sync_core.serde import new_event
from sync_core.settings import IntegrationSettings
from sync_core.state.settings_repo import SettingsRepository

DEMO_SETTINGS = {
    "Integration Enabled": "on",
    "Update Learner Demographics Mode": "Push PICS Data to Smart Assessor",
    "Set Student ID to LRN": "on",
    "Update Learner Gender": "on",
    "Update Learner Ethnicity": "on",
    "Send Learner Disability": "on",
}


@dataclass(frozen=True)
class DemoSize:
    """How much the demo does."""

    learners: int = 200
    events: int = 1000
    duplicate_share: float = 0.02  # share of events delivered a second time
    seed: int = 7


def run_demo(config: RuntimeConfig, size: DemoSize) -> dict[str, Any]:
    """Seed, stream, consume, and compare; returns the summary."""
    run_id = uuid.uuid4().hex[:8]
    config = config.model_copy(update={"topic_prefix": f"demo-{run_id}.", "kafka_group_id": f"demo-{run_id}"})
    ensure_topics(config.kafka_bootstrap_servers, {config.topic_prefix + "pics.learner": 6})
    started = time.monotonic()
    with open_service(config) as service:
        SettingsRepository(service.pool).set_many(DEMO_SETTINGS)
        settings = SettingsRepository(service.pool).load()
        people = People(size.seed)
        learners = seed_learners(service, people, settings, prefix=f"D{run_id}-", count=size.learners)
        produced = stream_edits(service, people, learners, size)
        tally = consume(config, service)
        check = compare(service, settings, prefix=f"D{run_id}-")
    return summary(produced, tally, check, time.monotonic() - started)


def seed_learners(
    service: Service, people: People, settings: IntegrationSettings, *, prefix: str, count: int
) -> list[dict[str, Any]]:
    """Learners in PICS, already enrolled in SA and linked (their Smart Assessor ID set)."""
    learners = []
    for n in range(count):
        learner = people.learner(f"{prefix}{n:06d}")
        created = service.sa.create_learner(
            {"misId": learner["learner_ident"], **pushed_fields(learner, settings)}
        )
        learners.append({**learner, "smart_assessor_id": created["id"]})
    LearnerRepository(service.pool).upsert(learners)
    return learners


def stream_edits(service: Service, people: People, learners: list[dict[str, Any]], size: DemoSize) -> int:
    """PICS edits learners and emits LearnerEdited after each; some are delivered twice."""
    producer = EventProducer(
        service.config.kafka_bootstrap_servers, service.ports.serde, topic_prefix=service.config.topic_prefix
    )
    repo, sent = LearnerRepository(service.pool), 0
    for _ in range(size.events):
        index = people.rng.randrange(len(learners))
        learners[index], changed = people.edit(learners[index])
        repo.upsert([learners[index]])
        event = new_event("LearnerEdited", {"learner": learners[index]}, changed_fields=changed)
        data = producer.send("pics.learner", learners[index]["learner_ident"], event)
        sent += 1
        if people.rng.random() < size.duplicate_share:
            producer.send_raw("pics.learner", learners[index]["learner_ident"], data)
            sent += 1
    producer.flush()
    return sent


def consume(config: RuntimeConfig, service: Service) -> Tally:
    """Run the push consumer until the topic is drained."""
    consumer = make_consumer(config.kafka_bootstrap_servers, config.kafka_group_id)
    consumer.subscribe([config.topic_prefix + "pics.learner"])
    try:
        return ConsumeLoop(consumer, service.ports).run_until_drained(threading.Event())
    finally:
        consumer.close()


def compare(service: Service, settings: IntegrationSettings, *, prefix: str) -> Mapping[str, int]:
    """How many SA learners of this run hold exactly PICS's latest values under the settings."""
    pics = LearnerRepository(service.pool).with_prefix(prefix)
    matching = 0
    for learner in pics:
        held = service.sa.get_learner(learner["smart_assessor_id"])
        matching += all(held.get(k) == v for k, v in pushed_fields(learner, settings).items())
    return {"sa_learners_total": len(pics), "sa_learners_matching_pics": matching}


def summary(produced: int, tally: Tally, check: Mapping[str, int], seconds: float) -> dict[str, Any]:
    """The demo's figures, as the README and CI read them."""
    return {
        "events_produced": produced,
        "events_applied": tally.count(Kind.APPLIED),
        "duplicates_skipped": tally.count(Kind.DUPLICATE),
        "events_skipped": tally.count(Kind.SKIPPED),
        "events_parked": tally.count(Kind.PARKED),
        "sa_calls": tally.sa_calls,
        **check,
        "seconds": round(seconds, 2),
    }
