"""A wedged partition on the real broker and PostgreSQL: /metrics and `pics-sync status` show it.

Contract: an event whose rule never returns (a hook that blocks, as a stuck call would) holds its
partition's commit point, while the consumer reads on past it. /metrics then shows that partition's
committed lag above 0 (its fetch-position lag is 0: everything is read), the age of its oldest
unfinished event and its stuck time growing, and `status` names the partition, its committed offset
and the consumer, from the heartbeat. Once the event finishes, the commit point moves to the end,
the ages fall to 0 and status no longer names it.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from consumers.heartbeat import start_heartbeat
from consumers.kafka.clients import make_consumer
from consumers.loop import ParallelLoop
from consumers.metrics import Metrics, watch_consumer, watched
from consumers.ops.status import Thresholds, collect_status, group_of
from consumers.producer import EventProducer
from consumers.service import Service
from consumers.web import health
from consumers.web.app import build_app
from sync_core.config import RuntimeConfig, kafka_settings
from sync_core.state.settings_repo import SettingsRepository
from tests.learners import edit, new_learner, send
from tests.support import wait_until

pytestmark = pytest.mark.integration

WEDGED = "L-WEDGED"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


class BlockingRule:
    """A rule hook that holds every event of ``key`` until ``release``; the partition of the first one held."""

    def __init__(self, key: str) -> None:
        self.key, self.released, self.holding = key, threading.Event(), threading.Event()

    def __call__(self, event_key: str | None) -> None:
        if event_key == self.key:
            self.holding.set()
            self.released.wait(120)

    def release(self) -> None:
        self.released.set()


@pytest.fixture
def wedged(config: RuntimeConfig, service: Service) -> Iterator[tuple[ParallelLoop, BlockingRule, TestClient]]:
    """A push consumer, its heartbeat and its /metrics, with the rule of WEDGED's events blocking."""
    SettingsRepository(service.pool).set_many({"Integration Enabled": "on"})
    rule = BlockingRule(WEDGED)
    group, topics = group_of(config, "push")
    consumer = watched(make_consumer(kafka_settings(config), group))
    loop = ParallelLoop(consumer, dataclasses.replace(service.ports, rule_fault=rule), concurrency=4)
    loop.subscribe(topics)
    metrics = Metrics(CollectorRegistry())
    watch_consumer(metrics, loop, service.pool)
    stop = threading.Event()
    running = threading.Thread(target=loop.run, args=(stop,), daemon=True)
    running.start()
    heartbeat = start_heartbeat(service.pool, loop, group=group, side="push", interval=0.2)
    try:
        yield loop, rule, TestClient(build_app(metrics, health.Readiness({})))
    finally:
        rule.release()
        stop.set()
        running.join(60)
        heartbeat.stop()
        consumer.close()


def scrape(client: TestClient) -> Samples:
    text = client.get("/metrics").text
    return {
        (s.name, frozenset(s.labels.items())): s.value for f in text_string_to_metric_families(text) for s in f.samples
    }


def of(samples: Samples, name: str, topic: str, partition: int) -> float | None:
    return samples.get((name, frozenset({("topic", topic), ("partition", str(partition))})))


def test_a_wedged_partition_shows_on_metrics_and_in_status(
    wedged: tuple[ParallelLoop, BlockingRule, TestClient], config: RuntimeConfig, service: Service,
    producer: EventProducer,
) -> None:  # fmt: skip
    """Committed lag > 0 while the fetch lag is 0, the oldest pending age grows, status names the partition;
    all clear once the event finishes."""
    loop, rule, client = wedged
    wait_until(lambda: bool(loop.consumer.assignment()), timeout=60)
    learners = [new_learner(n, f"L-{n:03d}") for n in range(8)]
    send(producer, WEDGED, [edit(new_learner(99, WEDGED), email=f"w{n}@example.org") for n in range(3)])
    for learner in learners:
        send(producer, learner["learner_ident"], [edit(learner, email="x@example.org")])
    assert rule.holding.wait(60), "the wedged event never reached its rule"
    wait_until(lambda: len(loop.partition_progress) > 0 and any(p.pending for p in loop.partition_progress.values()),
               timeout=30)  # fmt: skip
    [(topic, partition)] = [tp for tp, p in loop.partition_progress.items() if p.pending]

    def shown() -> bool:
        samples = scrape(client)
        return (of(samples, "pics_sync_consumer_committed_lag", topic, partition) or 0) > 0 and of(
            samples, "pics_sync_consumer_lag", topic, partition
        ) == 0

    wait_until(shown, timeout=30)
    first = of(scrape(client), "pics_sync_oldest_pending_seconds", topic, partition) or 0.0
    wait_until(lambda: (of(scrape(client), "pics_sync_oldest_pending_seconds", topic, partition) or 0) > first + 1,
               timeout=30)  # fmt: skip
    assert (of(scrape(client), "pics_sync_commit_stuck_seconds", topic, partition) or 0) > 1

    limits = Thresholds(stuck_after=timedelta(seconds=3))
    named = f"partition {topic}[{partition}] on "

    def status_names_it() -> bool:
        reasons = collect_status(config, service.pool, thresholds=limits, sides=("push",)).reasons()
        return any(r.startswith(named) and "has not moved" in r for r in reasons)

    wait_until(status_names_it, timeout=30)

    rule.release()
    wait_until(lambda: of(scrape(client), "pics_sync_consumer_committed_lag", topic, partition) == 0, timeout=60)
    wait_until(lambda: of(scrape(client), "pics_sync_oldest_pending_seconds", topic, partition) == 0, timeout=30)
    wait_until(lambda: not status_names_it(), timeout=30)
