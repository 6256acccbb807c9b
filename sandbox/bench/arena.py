"""A contender's ground, for the benches: its own database, topics and sandbox, the learners in SA.

``arena`` builds it (untimed): a fresh database and topic prefix, a reset SA sandbox, the demo's
settings, and ``learners`` enrolled by the runtime, which ``drain`` runs until the topics are empty.
``changes`` is the workload on top: the demo's mix of PICS changes.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from consumers.kafka.clients import ensure_topics, make_consumer
from consumers.loop import ParallelLoop
from consumers.service import Service, open_service
from sandbox.demo.run import DEMO_SETTINGS, Sender
from sandbox.pics.changes import next_change
from sandbox.pics.people import People
from sandbox.pics.store import PicsStore
from sandbox.pics.world import World
from sandbox.stack.local import Stack
from sandbox.stack.postgres import fresh_database
from sync_core.config import RuntimeConfig, kafka_settings, topic_layout
from sync_core.pics.qualification_links import QualificationLinks
from sync_core.pipeline.routes import PUSH_TOPICS
from sync_core.state.settings_repo import SettingsRepository


@dataclass
class Arena:
    """One contender's own database, topics and world, with the learners already in SA."""

    service: Service
    world: World
    sender: Sender

    def topics(self) -> list[str]:
        return [self.service.config.topic_prefix + t for t in PUSH_TOPICS]


@contextmanager
def arena(stack: Stack, base: RuntimeConfig, learners: int, concurrency: int) -> Iterator[Arena]:
    """A fresh database, topic prefix and sandbox, with ``learners`` enrolled (untimed)."""
    assert stack.sa is not None
    stack.sa.reset()
    run = uuid.uuid4().hex[:8]
    config = base.model_copy(update={
        "database_url": SecretStr(fresh_database(stack.database_url)), "topic_prefix": f"bench-{run}.",
        "kafka_group_id": f"bench-{run}", "sa_max_concurrency": concurrency,
    })  # fmt: skip
    ensure_topics(kafka_settings(config), [config.topic_prefix + t for t in PUSH_TOPICS], topic_layout(config))
    with open_service(config) as service:
        SettingsRepository(service.pool).set_many(DEMO_SETTINGS)
        catalogue = service.sa.list_courses()
        QualificationLinks(service.pool).refresh(catalogue)
        world = World(People(7), f"B{run}-")
        world.populate(learners, [str(c["qanCode"]) for c in catalogue])
        PicsStore(service.pool).save_all(world)
        sender = Sender(service, world.people, duplicate_share=0.0)
        sender.send_all(world.enrolments())
        drain(service, Arena(service, world, sender).topics(), config.kafka_group_id)
        world.adopt_ids(*PicsStore(service.pool).written_back(f"B{run}-"))
        yield Arena(service, world, sender)


def drain(service: Service, topics: list[str], group: str) -> ParallelLoop:
    """The runtime, consuming until the topics are drained."""
    consumer = make_consumer(kafka_settings(service.config), group)
    loop = ParallelLoop(consumer, service.ports, concurrency=service.config.workers)
    loop.subscribe(topics)
    try:
        loop.run_until_drained(threading.Event(), timeout=3600)
    finally:
        consumer.close()
    return loop


def changes(world: World, count: int) -> list[Any]:
    """The demo's mix of PICS changes."""
    return [next_change(world) for _ in range(count)]
