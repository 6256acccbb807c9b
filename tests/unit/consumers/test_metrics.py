"""Metrics: the consumer's counts and latency, SA calls by route template, the loop's state at scrape time."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from prometheus_client import CollectorRegistry, generate_latest
from structlog.testing import capture_logs

from consumers.metrics import (
    EventMetrics,
    LoopCollector,
    Metrics,
    PullMetrics,
    WatchedConsumer,
    state_of,
)
from sandbox.pics.people import People
from sync_core.errors import SaRejected, SaUnavailable
from sync_core.outcome import Kind, Outcome, Source
from sync_core.pipeline.process import Delivery
from sync_core.serde import AvroSerde, new_event
from sync_core.smart_assessor.circuit import CircuitBreaker
from sync_core.smart_assessor.client import SaClient, SaCredentials

T = TypeVar("T")
SCHEMAS = Path(__file__).resolve().parents[3] / "schemas"
WHEN = datetime(2025, 3, 4, 5, 6, 7, 890_000, tzinfo=UTC)


def value(serde: AvroSerde, when: datetime = WHEN) -> bytes:
    """The bytes of a LearnerEdited event on pics.learner that PICS made at ``when``."""
    learner = {**People(3).learner("L-1"), "smart_assessor_id": None}
    event = new_event("LearnerEdited", {"learner": learner}, changed_fields=["email"], occurred_at=when)
    return serde.encode("pics.learner", event)


@pytest.fixture(scope="module")
def serde() -> AvroSerde:
    return AvroSerde()


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float | None:
    """One sample's value, as a scrape would show it."""
    return registry.get_sample_value(name, labels)


def delivery(data: bytes | None, topic: str = "pics.learner") -> Delivery:
    return Delivery(Source(topic, 0, 42, "L-1"), data)


@pytest.mark.parametrize(
    ("kind", "timed"),
    [
        pytest.param(Kind.APPLIED, 1, id="applied-observes-latency"),
        pytest.param(Kind.SKIPPED, 0, id="skipped-no-latency"),
        pytest.param(Kind.PARKED, 0, id="parked-no-latency"),
        pytest.param(Kind.DUPLICATE, 0, id="duplicate-no-latency"),
    ],
)
def test_observe_counts_by_topic_event_type_and_outcome(serde: AvroSerde, kind: Kind, timed: int) -> None:
    """Each finished event counts once as consumed and once under its outcome; only applied ones time PICS → SA."""
    metrics = Metrics(CollectorRegistry())
    events = EventMetrics(metrics, clock=lambda: WHEN.timestamp() + 1.5)
    events.observe(delivery(value(serde)), Outcome(kind, event_id="e", event_type="LearnerEdited"))
    labels = {"topic": "pics.learner", "event_type": "LearnerEdited"}
    assert sample(metrics.registry, "pics_sync_events_consumed_total", **labels) == 1
    assert sample(metrics.registry, "pics_sync_events_processed_total", **labels, outcome=kind.value) == 1
    latency = sample(metrics.registry, "pics_sync_event_latency_seconds_sum", topic="pics.learner")
    assert (latency or 0.0) == 1.5 * timed


def test_undecodable_event_counts_as_unknown_type() -> None:
    """An event parked before it could be decoded has no type: it counts under 'unknown', with no latency."""
    metrics = Metrics(CollectorRegistry())
    EventMetrics(metrics).observe(delivery(b"junk"), Outcome(Kind.PARKED, reason="unknown framing"))
    labels = {"topic": "pics.learner", "event_type": "unknown", "outcome": "parked"}
    assert sample(metrics.registry, "pics_sync_events_processed_total", **labels) == 1


class FakeSa:
    """A token, then each request answered as ``answers`` says by path; records nothing personal."""

    def __init__(self, answers: dict[str, httpx.Response | Exception]) -> None:
        self.answers = answers

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/auth/token"):
            return httpx.Response(200, json={"accessToken": "t", "tokenType": "Bearer", "expiresIn": 600})
        answer = self.answers[request.url.path]
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture
def sa_metrics() -> Iterator[tuple[SaClient, Metrics]]:
    metrics = Metrics(CollectorRegistry())
    answers: dict[str, httpx.Response | Exception] = {
        "/api/learners/g-123": httpx.Response(200, json={"id": "g-123"}),
        "/api/learners/g-456": httpx.Response(422, json={"title": "invalid", "problems": []}),
        "/api/learners/g-789": httpx.ReadTimeout("slow"),
    }
    transport = httpx.MockTransport(FakeSa(answers))
    credentials = SaCredentials("integration", "secret", "key")
    with SaClient("https://sa.example.test/api", credentials, transport=transport, on_call=metrics.sa_call) as client:
        yield client, metrics


def test_sa_calls_count_by_route_template_and_status(sa_metrics: tuple[SaClient, Metrics]) -> None:
    """Every request counts under its route template (no ids in labels) and its status, with its time."""
    client, metrics = sa_metrics
    client.update_learner("g-123", {"email": "x@example.org"})
    client.update_learner("g-123", {"email": "y@example.org"})
    with pytest.raises(SaRejected):
        client.update_learner("g-456", {"email": "z@example.org"})
    with pytest.raises(SaUnavailable):
        client.update_learner("g-789", {"email": "w@example.org"})
    endpoint = "PATCH /learners/{id}"
    for status, count in (("200", 2), ("422", 1), ("timeout", 1)):
        assert sample(metrics.registry, "pics_sync_sa_calls_total", endpoint=endpoint, status=status) == count
    for status, count in (("200", 2), ("422", 1), ("timeout", 1)):
        assert sample(metrics.registry, "pics_sync_sa_call_seconds_count", endpoint=endpoint, status=status) == count
    scraped = generate_latest(metrics.registry).decode()
    assert "g-123" not in scraped and "example.org" not in scraped


class FakePartition:
    def __init__(self, topic: str, partition: int, offset: int) -> None:
        self.topic, self.partition, self.offset = topic, partition, offset


class FakeConsumer:
    """Two partitions: one fetched from (position 90, high 100), one not yet (position unknown).

    Like confluent-kafka's, it admits one thread: a call from any other thread fails the test.
    """

    def __init__(self) -> None:
        self.owner = threading.get_ident()

    def _only_the_owner(self) -> None:
        assert threading.get_ident() == self.owner, "another thread entered the consumer"

    def consume(self, num_messages: int = 1, timeout: float = -1) -> list[object]:
        self._only_the_owner()
        return []

    def assignment(self) -> list[FakePartition]:
        self._only_the_owner()
        return [FakePartition("pics.learner", 0, -1001), FakePartition("pics.learner", 1, -1001)]

    def position(self, partitions: list[FakePartition]) -> list[FakePartition]:
        self._only_the_owner()
        return [FakePartition(p.topic, p.partition, 90 if p.partition == 0 else -1001) for p in partitions]

    def get_watermark_offsets(self, tp: FakePartition, cached: bool = False) -> tuple[int, int]:
        self._only_the_owner()
        assert cached, "the copy never waits for the broker"
        return (0, 100) if tp.partition == 0 else (-1001, -1001)


class FakeTracker:
    pending = 7


class FakeLoop:
    def __init__(self) -> None:
        self.consumer = WatchedConsumer(FakeConsumer())
        self.tracker, self.breaker = FakeTracker(), CircuitBreaker(threshold=1)
        self.partition_progress: dict[tuple[str, int], object] = {}


def in_another_thread(fn: Callable[[], T]) -> T:
    """``fn()`` run on a thread of its own, as the HTTP server runs a scrape."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn).result(timeout=5)


def test_loop_state_is_read_at_scrape_time() -> None:
    """Lag per fetched partition, partitions assigned, pending work and the circuit's state, without entering the consumer."""
    metrics, loop = Metrics(CollectorRegistry()), FakeLoop()
    metrics.watch(LoopCollector(loop))  # type: ignore[arg-type]
    loop.consumer.consume(500, timeout=0.05)  # the poll thread copies the state
    registry = metrics.registry
    scraped = in_another_thread(lambda: generate_latest(registry).decode())
    assert 'pics_sync_consumer_lag{partition="0",topic="pics.learner"} 10.0' in scraped
    for lag in ("pics_sync_consumer_lag", "pics_sync_consumer_committed_lag"):  # not fetched from yet: no figure
        assert f'{lag}{{partition="1"' not in scraped  # rather than a wrong one
    assert "pics_sync_partitions_assigned 2.0" in scraped and "pics_sync_events_pending 7.0" in scraped
    assert sample(registry, "pics_sync_circuit_state", state="closed") == 1
    loop.breaker.failure()
    assert sample(registry, "pics_sync_circuit_state", state="open") == 1
    assert sample(registry, "pics_sync_circuit_state", state="closed") == 0


def test_other_threads_get_the_assignment_from_the_copy() -> None:
    """assignment() on another thread answers from the poll thread's copy; on the poll thread from the consumer."""
    clock = [100.0]
    watched = WatchedConsumer(FakeConsumer(), every=1.0, clock=lambda: clock[0])
    assert in_another_thread(watched.assignment) == [] and state_of(watched).taken_at is None
    watched.consume(500, timeout=0.05)
    assert [tp.partition for tp in in_another_thread(watched.assignment)] == [0, 1]
    assert len(watched.assignment()) == 2 and state_of(watched).taken_at == 100.0
    clock[0] = 100.5
    watched.consume(500, timeout=0.05)
    assert state_of(watched).taken_at == 100.0, "copied at most every second"


def test_the_poll_thread_is_the_one_that_consumes_not_the_one_that_built_it() -> None:
    """Built here, polled on another thread: assignment() here answers from the copy, never from the
    consumer the poll thread is inside (the wedged-partition test waited for ever on that)."""
    consumer = FakeConsumer()
    watched = WatchedConsumer(consumer, every=0.0)

    def poll() -> None:
        consumer.owner = threading.get_ident()  # the one thread it admits from now on
        watched.consume(500, timeout=0.05)

    in_another_thread(poll)
    assert [tp.partition for tp in watched.assignment()] == [0, 1]


def test_unwatched_consumer_has_no_state() -> None:
    """A consumer not wrapped reports nothing rather than being entered from another thread."""
    assert state_of(FakeConsumer()).lags == {}


def test_pull_progress() -> None:
    """The pull's hook sets learners read out of learners to read."""
    pull = PullMetrics(Metrics(CollectorRegistry()))
    pull.progress(120, 500)
    registry = pull.metrics.registry
    assert sample(registry, "pics_sync_pull_learners_read") == 120
    assert sample(registry, "pics_sync_pull_learners_to_read") == 500


def test_default_registry_has_process_metrics() -> None:
    """A process's own registry also reports its CPU, memory and garbage collection."""
    scraped = generate_latest(Metrics().registry).decode()
    assert "process_resident_memory_bytes" in scraped and "python_gc_objects_collected_total" in scraped


def test_a_failing_metric_never_fails_the_event(serde: AvroSerde) -> None:
    """observe runs inside the worker: an error in it is logged and swallowed, so the event still counts as done."""
    events = EventMetrics(Metrics(CollectorRegistry()))
    events.consumed = None  # type: ignore[assignment]
    with capture_logs() as logs:
        events.observe(delivery(value(serde)), Outcome(Kind.APPLIED, event_type="LearnerEdited"))
    assert [entry["event"] for entry in logs] == ["metrics.observe_failed"]
