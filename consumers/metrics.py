"""Prometheus metrics: what the consumer, the SA client and the daily pull report, in one registry per process.

Labels carry topics, event types, outcomes, SA route templates, partitions and the drift record's
names (entity, field name, direction, action) only: bounded sets, and never an id or a value of a
learner. The counters are fed by hooks (``ParallelLoop.observe``, ``SaClient``'s ``on_call``,
``PullOptions.observe``, ``DriftLog``'s ``on_record``); the loop's state (pending work, circuit, and
the lag and assignment its poll thread last copied: ``WatchedConsumer``) and the pull's last success
are read when Prometheus scrapes.

| metric | labels |
| --- | --- |
| ``pics_sync_events_consumed_total`` | topic, event_type |
| ``pics_sync_events_processed_total`` | topic, event_type, outcome (applied, skipped, parked, duplicate) |
| ``pics_sync_event_latency_seconds`` (histogram) | topic: the event's ``occurred_at`` to applied |
| ``pics_sync_sa_calls_total`` | endpoint (``PATCH /learners/{id}``), status (200, 422, timeout, error) |
| ``pics_sync_sa_call_seconds`` (histogram) | endpoint |
| ``pics_sync_consumer_lag`` | topic, partition |
| ``pics_sync_partitions_assigned``, ``pics_sync_events_pending`` | |
| ``pics_sync_circuit_state`` | state (closed, open, half_open): 1 for the current one |
| ``pics_sync_pull_learners_read``, ``pics_sync_pull_learners_to_read`` | |
| ``pics_sync_pull_last_success_timestamp_seconds`` | |
| ``pics_sync_drift_differences_total`` | entity, field, direction, action: every difference recorded (D3) |
| ``pics_sync_drift_repaired_total`` | entity, field, direction: those pushed, pulled or enrolled |
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, TypeVar, cast

import structlog
from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from psycopg_pool import ConnectionPool

from consumers.ops.status import daily_runs
from sync_core.outcome import Kind, Outcome
from sync_core.pipeline.process import Delivery
from sync_core.serde.peek import occurred_at
from sync_core.smart_assessor.circuit import State
from sync_core.state.drift import REPAIRED, Difference
from sync_core.state.pull_runs import PullRuns

if TYPE_CHECKING:
    from consumers.loop import ParallelLoop

log = structlog.get_logger("pics_sync.metrics")
T = TypeVar("T")
PREFIX = "pics_sync_"
# From a live push (well under a second) to an event replayed or redriven days later.
_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400)
_SA_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class Metrics:
    """This process's registry, with the SA call metrics every process that calls SA reports."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or _process_registry()
        self.sa_calls = Counter(
            PREFIX + "sa_calls", "HTTP requests to Smart Assessor", ["endpoint", "status"], registry=self.registry
        )
        self.sa_seconds = Histogram(
            PREFIX + "sa_call_seconds", "Smart Assessor request time", ["endpoint"], buckets=_SA_BUCKETS,
            registry=self.registry,
        )  # fmt: skip

    def sa_call(self, endpoint: str, status: str, seconds: float) -> None:
        """``SaClient``'s ``on_call``: one request to ``endpoint`` (a route template) ended with ``status``."""
        self.sa_calls.labels(endpoint, status).inc()
        self.sa_seconds.labels(endpoint).observe(seconds)

    def watch(self, collector: Collector) -> None:
        """Read ``collector`` at every scrape."""
        self.registry.register(collector)


def _process_registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
        registry.register(collector)
    return registry


class EventMetrics:
    """The consumer's counts by outcome, and how long events took from PICS to applied."""

    def __init__(self, metrics: Metrics, clock: Callable[[], float] = time.time) -> None:
        registry, self._clock = metrics.registry, clock
        self.consumed = Counter(
            PREFIX + "events_consumed", "Events the consumer finished", ["topic", "event_type"], registry=registry
        )
        self.processed = Counter(
            PREFIX + "events_processed", "Events by outcome", ["topic", "event_type", "outcome"], registry=registry
        )
        self.latency = Histogram(
            PREFIX + "event_latency_seconds", "From the event's occurred_at to applied", ["topic"],
            buckets=_LATENCY_BUCKETS, registry=registry,
        )  # fmt: skip

    def observe(self, delivery: Delivery, outcome: Outcome) -> None:
        """``ParallelLoop.observe``: one event is done. Never raises: a metric must not fail an event."""
        try:
            self._count(delivery, outcome)
        except Exception as failed:
            log.warning("metrics.observe_failed", error=type(failed).__name__)

    def _count(self, delivery: Delivery, outcome: Outcome) -> None:
        topic, event_type = delivery.source.topic, outcome.event_type or "unknown"
        self.consumed.labels(topic, event_type).inc()
        self.processed.labels(topic, event_type, outcome.kind.value).inc()
        if outcome.kind is Kind.APPLIED and (at := occurred_at(delivery.value)) is not None:
            self.latency.labels(topic).observe(max(0.0, self._clock() - at))


class DriftMetrics:
    """The differences this process recorded (D3): found, by the action taken, and repaired.

    Found is every difference recorded, so ``sum(increase(pics_sync_drift_differences_total[1d]))`` is
    the day's drift and ``{action="failed"}`` what could not be repaired; repaired counts the actions
    that brought the two systems into step (``REPAIRED``). A field label is the name of the field a
    rule compares (SA's or PICS's, from the rules' plans): a bounded set, never a value.
    """

    def __init__(self, metrics: Metrics) -> None:
        names, registry = ["entity", "field", "direction"], metrics.registry
        self.found = Counter(PREFIX + "drift_differences", "Differences found between PICS and SA and recorded, by "
                             "the action taken", [*names, "action"], registry=registry)  # fmt: skip
        self.repaired = Counter(PREFIX + "drift_repaired", "Differences repaired: pushed to SA, pulled into PICS "
                                "or enrolled", names, registry=registry)  # fmt: skip

    def observe(self, differences: Iterable[Difference]) -> None:
        """``DriftLog``'s ``on_record``: these were recorded. Never raises: the rows are in whatever a metric does."""
        try:
            for d in differences:
                self.found.labels(d.entity, d.field, d.direction, d.action).inc()
                if d.action in REPAIRED:
                    self.repaired.labels(d.entity, d.field, d.direction).inc()
        except Exception as failed:
            log.warning("metrics.observe_failed", error=type(failed).__name__)


class LoopCollector(Collector):
    """The consume loop's state at scrape time: lag per partition, assignment, pending work, circuit."""

    def __init__(self, loop: ParallelLoop) -> None:
        self._loop = loop

    def describe(self) -> Iterable[Metric]:
        return self._families()

    def collect(self) -> Iterable[Metric]:
        lag, assigned, pending, circuit = self._families()
        state = state_of(self._loop.consumer)
        for (topic, partition), behind in sorted(state.lags.items()):
            if behind is not None:
                lag.add_metric([topic, str(partition)], behind)
        assigned.add_metric([], len(state.lags))
        pending.add_metric([], self._loop.tracker.pending)
        now = self._loop.breaker.state
        for each in State:
            circuit.add_metric([each.value], 1 if each is now else 0)
        return lag, assigned, pending, circuit

    @staticmethod
    def _families() -> tuple[GaugeMetricFamily, ...]:
        return (
            GaugeMetricFamily(PREFIX + "consumer_lag", "Events past the position", labels=["topic", "partition"]),
            GaugeMetricFamily(PREFIX + "partitions_assigned", "Partitions assigned to this consumer"),
            GaugeMetricFamily(PREFIX + "events_pending", "Events polled and not yet finished"),
            GaugeMetricFamily(PREFIX + "circuit_state", "SA's circuit breaker: 1 for its state", labels=["state"]),
        )


@dataclass(frozen=True)
class ConsumerState:
    """What the poll thread last saw of its consumer: each assigned partition's lag (None: not fetched yet)."""

    lags: Mapping[tuple[str, int], int | None]
    taken_at: float | None  # time.monotonic() of the copy; None: not taken yet


class WatchedConsumer:
    """A consumer whose poll thread copies its state for the other threads (metrics, /readyz, the console).

    confluent-kafka lets one thread at a time into a Consumer, and the consume loop is inside it
    almost all the time, so another thread's call can wait for ever. The poll thread therefore copies
    the assignment and each partition's lag after a ``consume`` (at most every ``every`` seconds),
    and ``assignment()`` called from any thread but the one that made it answers from that copy.
    Everything else is the wrapped consumer's, called as it is.
    """

    def __init__(self, consumer: Any, every: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._consumer, self._every, self._clock = consumer, every, clock
        self._poller = threading.get_ident()  # the thread that made it subscribes and polls
        self._assignment: list[Any] = []
        self.state = ConsumerState({}, None)

    def consume(self, *args: Any, **kwargs: Any) -> Any:
        """The wrapped ``consume``; then, when due, a fresh copy of the state."""
        messages = self._consumer.consume(*args, **kwargs)
        if self.state.taken_at is None or self._clock() - self.state.taken_at >= self._every:
            self._copy()
        return messages

    def assignment(self) -> list[Any]:
        """The consumer's own answer on the poll thread; the last copy on any other."""
        if threading.get_ident() == self._poller:
            return list(self._consumer.assignment())
        return list(self._assignment)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._consumer, name)

    def _copy(self) -> None:
        assignment = list(self._consumer.assignment())
        lags: dict[tuple[str, int], int | None] = {}
        for tp in self._consumer.position(assignment):
            _low, high = self._consumer.get_watermark_offsets(tp, cached=True)
            lags[(tp.topic, tp.partition)] = max(0, high - tp.offset) if min(high, tp.offset) >= 0 else None
        self._assignment, self.state = assignment, ConsumerState(lags, self._clock())


def watched(consumer: T) -> T:
    """``consumer`` wrapped so other threads can read its state (``state_of``); typed as the consumer it wraps."""
    return cast(T, WatchedConsumer(consumer))


def state_of(consumer: Any) -> ConsumerState:
    """The last state the poll thread copied; empty for a consumer not ``watched``."""
    return consumer.state if isinstance(consumer, WatchedConsumer) else ConsumerState({}, None)


class PullMetrics:
    """The daily pull's progress in this process, and when a daily pull last succeeded (from the database)."""

    def __init__(self, metrics: Metrics) -> None:
        registry, self.metrics = metrics.registry, metrics
        self.read = Gauge(PREFIX + "pull_learners_read", "Learners read by the running pull", registry=registry)
        self.to_read = Gauge(PREFIX + "pull_learners_to_read", "Learners the running pull reads", registry=registry)

    def progress(self, read: int, to_read: int) -> None:
        """``PullOptions.observe``: ``read`` of ``to_read`` learners done."""
        self.read.set(read)
        self.to_read.set(to_read)


class PullSuccessCollector(Collector):
    """``pics_sync_pull_last_success_timestamp_seconds`` from ``sync.pull_runs`` (runs of the last ``window``).

    Read from the database, so it is right in any process and after a restart, whether the pull runs
    on a schedule or as a CronJob; absent when no daily pull succeeded within ``window``.
    """

    def __init__(self, pool: ConnectionPool, window: timedelta = timedelta(days=3)) -> None:
        self._runs, self._window = PullRuns(pool), window

    def describe(self) -> Iterable[Metric]:
        return [self._family()]

    def collect(self) -> Iterator[Metric]:
        family = self._family()
        try:
            _last, success = daily_runs(self._runs, date.today(), self._window)
        except Exception:  # the database is down: /readyz says so; the scrape still answers
            return
        if success is not None and success.finished_at is not None:
            family.add_metric([], success.finished_at.timestamp())
            yield family

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            PREFIX + "pull_last_success_timestamp_seconds", "When the last daily pull that succeeded finished"
        )
