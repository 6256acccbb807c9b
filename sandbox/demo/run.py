"""``pics-sync demo``: a simulated PICS enrols learners, then makes every kind of change; the push
consumer keeps SA in step; a check compares SA with PICS record by record.

Phase 1 enrols every learner (LearnerEnrolled: employers, assessors, learners and courses are
linked or created). Phase 2 streams a mix of every PICS event type, a share of them delivered
twice. The summary says whether the sync is right, not just that it ran.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from consumers.kafka.clients import ensure_topics, make_consumer
from consumers.loop import ParallelLoop
from consumers.ops.daily_pull import PullOptions, daily_pull
from consumers.producer import EventProducer
from consumers.service import Service, open_service
from sandbox.demo.pull_check import check_pull
from sandbox.demo.sync_check import SyncCheck, check_sync
from sandbox.pics.changes import next_change
from sandbox.pics.people import People
from sandbox.pics.store import PicsStore
from sandbox.pics.world import Emitted, World
from sync_core.config import RuntimeConfig, group_id, kafka_settings
from sync_core.outcome import Kind, Tally
from sync_core.pics.qualification_links import QualificationLinks
from sync_core.pipeline.routes import PULL_TOPICS, PUSH_TOPICS
from sync_core.serde import new_event
from sync_core.state.settings_repo import SettingsRepository

# Every push on, so every rule has work to do.
DEMO_SETTINGS = {
    "Integration Enabled": "on",
    "Send Learner Welcome Email": "on",
    "Set Student ID to LRN": "on",
    "Update Learner Demographics Mode": "Push PICS Data to Smart Assessor",
    "Update Learner Gender": "on",
    "Update Learner Ethnicity": "on",
    "Send Learner Disability": "on",
    "Update Officer Demographics Mode": "Push PICS Data to Smart Assessor",
    "Update Organisation Demographics Mode": "Push PICS Data to Smart Assessor",
    "Push Changes to Learner Employer": "on",
    "Qualification Second Assessor Role": "IQA",
    "Push Changes to Qualification Assessors": "on",
    "Update Qualification Dates Mode": "Push PICS Data to Smart Assessor",
}
# The daily pull at the end: Smart Coach risk, and three SA session types imported as reviews.
PULL_SETTINGS = {"Update PICS Risk using Smart Coach Score": "on"}
REVIEW_TYPES = {"Formal Review": "Progress Review", "Gateway Ready": "Gateway Review", "Induction": "Induction Review"}
CallCounts = Callable[[], Mapping[str, int]]
SimulateActivity = Callable[[int], int]


@dataclass(frozen=True)
class DemoSize:
    """How much the demo does."""

    learners: int = 500
    events: int = 5000
    duplicate_share: float = 0.02  # share of events delivered a second time
    seed: int = 7


class Sender:
    """Sends emitted PICS events, delivering a share of them twice."""

    def __init__(self, service: Service, people: People, duplicate_share: float) -> None:
        config = service.config
        self.producer = EventProducer(kafka_settings(config), service.ports.serde, topic_prefix=config.topic_prefix)
        self.rng, self.share, self.sent = people.rng, duplicate_share, 0

    def send_all(self, events: Iterable[Emitted]) -> None:
        """Send and wait until the broker has every event."""
        for emitted in events:
            data = self.producer.send(
                emitted.topic,
                emitted.key,
                new_event(emitted.name, emitted.payload, changed_fields=emitted.changed),
            )
            self.sent += 1
            if self.rng.random() < self.share:
                self.producer.send_raw(emitted.topic, emitted.key, data)
                self.sent += 1
        self.producer.flush()


def run_demo(
    config: RuntimeConfig,
    size: DemoSize,
    sa_call_counts: CallCounts | None = None,
    simulate_activity: SimulateActivity | None = None,
) -> dict[str, Any]:
    """Enrol, change, consume, compare; then a daily pull and its comparison. Returns the summary."""
    run_id = uuid.uuid4().hex[:8]
    config = config.model_copy(update={"topic_prefix": f"demo-{run_id}.", "kafka_group_id": f"demo-{run_id}"})
    ensure_topics(kafka_settings(config), {config.topic_prefix + t: 6 for t in PUSH_TOPICS})
    started, prefix = time.monotonic(), f"D{run_id}-"
    with open_service(config) as service:
        SettingsRepository(service.pool).set_many(DEMO_SETTINGS | PULL_SETTINGS)
        SettingsRepository(service.pool).set_review_types(REVIEW_TYPES)
        world, store, sender, tally = _prepare(service, size, prefix)
        sender.send_all(world.enrolments())
        _consume(service, tally)
        world.adopt_ids(*store.written_back(prefix))
        changes = [next_change(world) for _ in range(size.events)]
        store.save_all(world)
        sender.send_all(changes)
        _consume(service, tally)
        calls = dict(sa_call_counts()) if sa_call_counts else {}
        check = check_sync(service.pool, service.sa, service.ports.settings(), prefix)
        pulled = daily_pull_phase(service, size, simulate_activity)
    return summary(sender.sent, tally, check, calls, time.monotonic() - started) | pulled


def daily_pull_phase(service: Service, size: DemoSize, simulate_activity: SimulateActivity | None) -> dict[str, Any]:
    """Learners work in SA overnight; the daily pull brings it back; PICS is compared with SA."""
    if simulate_activity is not None:
        simulate_activity(size.seed)
    repo = SettingsRepository(service.pool)
    run_date = date.today()
    run = daily_pull(service, PullOptions(run_date=run_date, rate_per_s=1000, concurrency=16, progress=False))
    tally = Tally()
    _consume(service, tally, PULL_TOPICS, group_id(service.config, "pull"))
    return {
        "pull_learners_eligible": run["learners_eligible"],
        "pull_learners_read": run["learners_read"],
        "pull_events": run["events"],
        "pics_rows_changed": tally.pics_rows_changed,
        "pics_mismatches": check_pull(service.pool, service.sa, repo.load(), run_date),
    }


def _prepare(service: Service, size: DemoSize, prefix: str) -> tuple[World, PicsStore, Sender, Tally]:
    catalogue = service.sa.list_courses()
    QualificationLinks(service.pool).refresh(catalogue)  # "Refresh Qualification Links"
    people = People(size.seed)
    world = World(people, prefix)
    world.populate(size.learners, [str(course["qanCode"]) for course in catalogue])
    store = PicsStore(service.pool)
    store.save_all(world)
    return world, store, Sender(service, people, size.duplicate_share), Tally()


def _consume(service: Service, tally: Tally, topics: tuple[str, ...] = PUSH_TOPICS, group: str | None = None) -> None:
    """Run a consumer until its topics are drained, adding to ``tally``."""
    config = service.config
    consumer = make_consumer(kafka_settings(config), group or config.kafka_group_id)
    loop = ParallelLoop(consumer, service.ports, concurrency=config.workers, tally=tally)
    loop.subscribe([config.topic_prefix + t for t in topics])
    try:
        loop.run_until_drained(threading.Event(), timeout=1800)
    finally:
        consumer.close()


def summary(produced: int, tally: Tally, check: SyncCheck, calls: Mapping[str, int], seconds: float) -> dict[str, Any]:
    """The demo's figures, as the README and CI read them."""
    return {
        "events_produced": produced,
        "events_applied": tally.count(Kind.APPLIED),
        "duplicates_skipped": tally.count(Kind.DUPLICATE),
        "events_skipped": tally.count(Kind.SKIPPED),
        "events_parked": tally.count(Kind.PARKED),
        "sa_learners_total": check.learners_total,
        "sa_learners_matching_pics": check.learners_matching,
        "sa_duplicate_records": check.duplicate_records,
        "field_mismatches": check.field_mismatches,
        "mismatch_examples": check.examples,
        "sa_calls": {"total": tally.sa_calls, **dict(sorted(tally.writes.items()))},
        "sa_calls_seen_by_sandbox": calls,
        "seconds": round(seconds, 2),
    }


def passed(result: Mapping[str, Any]) -> bool:
    """The demo's own verdict: in step, no duplicates, every event applied or a skipped duplicate."""
    return bool(
        result["sa_learners_matching_pics"] == result["sa_learners_total"]
        and result["sa_duplicate_records"] == 0
        and result["field_mismatches"] == 0
        and result["events_applied"] + result["duplicates_skipped"] == result["events_produced"]
        and result["pics_mismatches"] == 0
    )
