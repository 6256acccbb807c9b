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
| ``pics_sync_sa_call_seconds`` (histogram) | endpoint, status |
| ``pics_sync_consumer_lag`` | topic, partition: past the fetch position |
| ``pics_sync_consumer_committed_lag`` | topic, partition: past the offset this member commits at |
| ``pics_sync_oldest_pending_seconds`` | topic, partition: how long its oldest unfinished event has waited |
| ``pics_sync_commit_stuck_seconds`` | topic, partition: how long its commit point has not moved while work waits |
| ``pics_sync_partitions_assigned``, ``pics_sync_events_pending`` | |
| ``pics_sync_circuit_state`` | state (closed, open, half_open): 1 for the current one |
| ``pics_sync_pull_learners_read``, ``pics_sync_pull_learners_to_read`` | |
| ``pics_sync_pull_last_success_timestamp_seconds``, ``pics_sync_pull_last_run_failed`` | |
| ``pics_sync_drift_differences_total`` | entity, field, direction, action: every difference recorded (D3) |
| ``pics_sync_drift_repaired_total`` | entity, field, direction: those pushed, pulled or enrolled |
| ``pics_sync_parked_events`` | topic, reason: parked now (the 20 commonest reasons per topic, the rest as one) |
| ``stamina_retries_total`` | callable, retry_num, error_type: stamina's own counter, served here |

No ``_created`` series: they double the series of every counter and no dashboard reads them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, TypeVar, cast

import stamina.instrumentation
import structlog
from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
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
from sync_core.state.parked import ParkedEvents
from sync_core.state.pull_runs import PullRuns

if TYPE_CHECKING:
    from consumers.commit_progress import PartitionProgress
    from consumers.loop import ParallelLoop

log = structlog.get_logger("pics_sync.metrics")
T = TypeVar("T")
PREFIX = "pics_sync_"
# From a live push (well under a second) to an event replayed or redriven days later.
_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400)
_SA_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
PARKED_REASONS_SHOWN = 20  # per topic: a reason may name a record or an SA id, so the series stay bounded
OTHER_REASONS = "(other reasons)"
disable_created_metrics()  # type: ignore[no-untyped-call]  # process-wide: the library's own switch


class Metrics:
    """This process's registry, with the SA call metrics every process that calls SA reports."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or _process_registry()
        self.sa_calls = Counter(
            PREFIX + "sa_calls", "HTTP requests to Smart Assessor", ["endpoint", "status"], registry=self.registry
        )
        self.sa_seconds = Histogram(
            PREFIX + "sa_call_seconds", "Smart Assessor request time", ["endpoint", "status"], buckets=_SA_BUCKETS,
            registry=self.registry,
        )  # fmt: skip
        retries = stamina.instrumentation.get_prometheus_counter()  # in prometheus_client's global registry
        if retries is not None:
            self.registry.register(retries)

    def sa_call(self, endpoint: str, status: str, seconds: float) -> None:
        """``SaClient``'s ``on_call``: one request to ``endpoint`` (a route template) ended with ``status``."""
        self.sa_calls.labels(endpoint, status).inc()
        self.sa_seconds.labels(endpoint, status).observe(seconds)

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
    """The consume loop's state at scrape time: lag per partition (past the fetch position, and past the
    commit point), how long work has waited, assignment, pending work, circuit.

    The committed lag is what a wedged partition shows: its fetch position runs on while the offset it
    commits at stays behind the event that does not finish (``consumers.commit_progress``).
    """

    def __init__(self, loop: ParallelLoop) -> None:
        self._loop = loop

    def describe(self) -> Iterable[Metric]:
        return self._families()

    def collect(self) -> Iterable[Metric]:
        lag, committed, oldest, stuck, assigned, pending, circuit = families = self._families()
        state, progress = state_of(self._loop.consumer), self._loop.partition_progress
        for tp, behind in sorted(state.lags.items()):
            labels = [tp[0], str(tp[1])]
            if behind is not None:
                lag.add_metric(labels, behind)
            if (behind_commit := committed_lag(tp, state, progress)) is not None:
                committed.add_metric(labels, behind_commit)
            waited = progress.get(tp)
            oldest.add_metric(labels, 0.0 if waited is None else waited.oldest_s)
            stuck.add_metric(labels, 0.0 if waited is None else waited.stuck_s)
        assigned.add_metric([], len(state.lags))
        pending.add_metric([], self._loop.tracker.pending)
        now = self._loop.breaker.state
        for each in State:
            circuit.add_metric([each.value], 1 if each is now else 0)
        return families

    @staticmethod
    def _families() -> tuple[GaugeMetricFamily, ...]:
        tp = ["topic", "partition"]
        return (
            GaugeMetricFamily(PREFIX + "consumer_lag", "Events past the fetch position", labels=tp),
            GaugeMetricFamily(PREFIX + "consumer_committed_lag", "Events past the offset committed", labels=tp),
            GaugeMetricFamily(PREFIX + "oldest_pending_seconds", "Age of the oldest unfinished event", labels=tp),
            GaugeMetricFamily(PREFIX + "commit_stuck_seconds", "Commit point unmoved with work pending", labels=tp),
            GaugeMetricFamily(PREFIX + "partitions_assigned", "Partitions assigned to this consumer"),
            GaugeMetricFamily(PREFIX + "events_pending", "Events polled and not yet finished"),
            GaugeMetricFamily(PREFIX + "circuit_state", "SA's circuit breaker: 1 for its state", labels=["state"]),
        )


def committed_lag(
    tp: tuple[str, int], state: ConsumerState, progress: Mapping[tuple[str, int], PartitionProgress]
) -> int | None:
    """Events on ``tp`` past the offset this member commits at; None while its end is unknown.

    A partition the loop has polled nothing from since it was assigned commits where it is positioned.
    """
    end, mark = state.ends.get(tp), progress.get(tp)
    if mark is None or end is None:
        return state.lags.get(tp)
    return max(0, end - mark.commit_at)


@dataclass(frozen=True)
class ConsumerState:
    """What the poll thread last saw of its consumer: each assigned partition's lag past its position and
    its end (None: not fetched yet)."""

    lags: Mapping[tuple[str, int], int | None]
    taken_at: float | None  # time.monotonic() of the copy; None: not taken yet
    ends: Mapping[tuple[str, int], int | None] = field(default_factory=dict)


class WatchedConsumer:
    """A consumer whose poll thread copies its state for the other threads (metrics, /readyz, the console).

    confluent-kafka lets one thread at a time into a Consumer, and the consume loop is inside it
    almost all the time, so another thread's call can wait for ever. The poll thread therefore copies
    the assignment and each partition's lag after a ``consume`` (at most every ``every`` seconds),
    and ``assignment()`` called from any thread but the one that polls answers from that copy. The poll
    thread is the one that calls ``consume``, not the one that made the consumer: a test or a service
    may build it on one thread and poll it on another, and the builder's own ``assignment()`` then
    waited for ever on librdkafka while the poll thread was inside a rebalance.
    Everything else is the wrapped consumer's, called as it is.
    """

    def __init__(self, consumer: Any, every: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._consumer, self._every, self._clock = consumer, every, clock
        self._poller: int | None = None  # the thread that calls consume; none yet: every caller reads the copy
        self._assignment: list[Any] = []
        self.state = ConsumerState({}, None)

    def consume(self, *args: Any, **kwargs: Any) -> Any:
        """The wrapped ``consume``; then, when due, a fresh copy of the state."""
        self._poller = threading.get_ident()
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
        ends: dict[tuple[str, int], int | None] = {}
        for tp in self._consumer.position(assignment):
            _low, high = self._consumer.get_watermark_offsets(tp, cached=True)
            lags[(tp.topic, tp.partition)] = max(0, high - tp.offset) if min(high, tp.offset) >= 0 else None
            ends[(tp.topic, tp.partition)] = high if high >= 0 else None
        self._assignment, self.state = assignment, ConsumerState(lags, self._clock(), ends)


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
    """``pics_sync_pull_last_success_timestamp_seconds`` and ``pics_sync_pull_last_run_failed`` from
    ``sync.pull_runs`` (runs of the last ``window``).

    Read from the database, so it is right in any process and after a restart, whether the pull runs
    on a schedule or as a CronJob; the timestamp is absent when no daily pull succeeded within ``window``,
    and the failed flag (1: the newest daily run failed) when there was no run at all.
    """

    def __init__(self, pool: ConnectionPool, window: timedelta = timedelta(days=3)) -> None:
        self._runs, self._window = PullRuns(pool), window

    def describe(self) -> Iterable[Metric]:
        return self._families()

    def collect(self) -> Iterator[Metric]:
        succeeded, failed = self._families()
        try:
            last, success = daily_runs(self._runs, date.today(), self._window)
        except Exception:  # the database is down: /readyz says so; the scrape still answers
            return
        if success is not None and success.finished_at is not None:
            succeeded.add_metric([], success.finished_at.timestamp())
            yield succeeded
        if last is not None:
            failed.add_metric([], 1 if last.status == "failed" else 0)
            yield failed

    @staticmethod
    def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily]:
        return (
            GaugeMetricFamily(
                PREFIX + "pull_last_success_timestamp_seconds", "When the last daily pull that succeeded finished"
            ),
            GaugeMetricFamily(PREFIX + "pull_last_run_failed", "1 when the newest daily pull run failed"),
        )


class ParkedCollector(Collector):
    """``pics_sync_parked_events``: the events parked now on ``topics``, by reason (``ParkedEvents.by_reason``).

    Read from the database, so every replica reports the same figure: take ``max by (topic, reason)``.
    A reason is our own text (an error's reason, a rule's, SA's scrubbed code and field), never a value
    of a learner, but some name a record or an SA id: the commonest ``PARKED_REASONS_SHOWN`` per topic
    have their own series, the rest are summed under ``OTHER_REASONS``. Absent while the database is down.
    """

    def __init__(self, pool: ConnectionPool, topics: Iterable[str]) -> None:
        self._parked, self._topics = ParkedEvents(pool), sorted(topics)

    def describe(self) -> Iterable[Metric]:
        return [self._family()]

    def collect(self) -> Iterator[Metric]:
        family = self._family()
        try:
            counts = {t: [(reason, n) for reason, n, _oldest in self._parked.by_reason([t])] for t in self._topics}
        except Exception:  # the database is down: /readyz says so; the scrape still answers
            return
        for topic, reasons in counts.items():
            for reason, count in bounded(reasons):
                family.add_metric([topic, reason], count)
        yield family

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily(PREFIX + "parked_events", "Events parked now", labels=["topic", "reason"])


def bounded(reasons: list[tuple[str, int]], shown: int = PARKED_REASONS_SHOWN) -> list[tuple[str, int]]:
    """The ``shown`` commonest (reason, count) as they are, the rest summed as one ``OTHER_REASONS``."""
    rest = sum(n for _reason, n in reasons[shown:])
    return reasons[:shown] + ([(OTHER_REASONS, rest)] if rest else [])


def watch_consumer(metrics: Metrics, loop: ParallelLoop, pool: ConnectionPool) -> None:
    """Everything ``run`` reports at scrape time: its loop, what is parked on the topics it subscribed to,
    the last daily pull."""
    metrics.watch(LoopCollector(loop))
    metrics.watch(ParkedCollector(pool, loop.topics))
    metrics.watch(PullSuccessCollector(pool))
