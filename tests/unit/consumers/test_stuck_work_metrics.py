"""Stuck work shows: the commit point per partition, the age of its oldest unfinished event, parked events by
reason, stamina's retries, no ``_created`` series, and the heartbeat that carries the commit points to status."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import stamina
from prometheus_client import CollectorRegistry, generate_latest

from consumers.commit_progress import CommitProgress, PartitionProgress
from consumers.heartbeat import snapshot
from consumers.metrics import OTHER_REASONS, LoopCollector, Metrics, ParkedCollector, WatchedConsumer, bounded
from consumers.ops.status import GroupStatus, StatusReport, Thresholds
from sync_core.smart_assessor.circuit import CircuitBreaker
from sync_core.state.heartbeats import Heartbeat, PartitionBeat
from tests.unit.consumers.test_metrics import FakeConsumer

TP = ("pics.learner", 0)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_wedged_partition_ages_while_its_commit_point_stands_still() -> None:
    """An event that never finishes: the commit point stays at it, its age and the stuck time grow together."""
    clock = Clock()
    progress = CommitProgress(clock)
    progress.polled({TP: 40})
    clock.now += 90
    [(tp, mark)] = progress.snapshot(lambda _tp: 5).items()
    assert (tp, mark) == (TP, PartitionProgress(commit_at=40, pending=5, oldest_s=90.0, stuck_s=90.0))


def test_a_draining_backlog_is_old_but_not_stuck() -> None:
    """A backlog whose commit point moves: the oldest event waited long, yet the commit point is not stuck."""
    clock = Clock()
    progress = CommitProgress(clock)
    progress.polled({TP: 0})
    clock.now += 60
    progress.stored({TP: 250})  # half the batch done
    clock.now += 2
    mark = progress.snapshot(lambda _tp: 250)[TP]
    assert mark.commit_at == 250 and mark.oldest_s == 62.0 and mark.stuck_s == 2.0


def test_a_later_batch_is_timed_from_its_own_poll() -> None:
    """Once the first batch is all done, the oldest pending event is the later batch's, timed from its poll."""
    clock = Clock()
    progress = CommitProgress(clock)
    progress.polled({TP: 0})
    clock.now += 30
    progress.polled({TP: 500})
    clock.now += 10
    progress.stored({TP: 500})
    assert progress.snapshot(lambda _tp: 3)[TP].oldest_s == 10.0


def test_an_idle_partition_waits_for_nothing() -> None:
    """Nothing pending: no age and nothing stuck, however long ago the commit point last moved; a new event
    wedging later is timed from its own poll, not from that idle hour."""
    clock = Clock()
    progress = CommitProgress(clock)
    progress.polled({TP: 0})
    progress.stored({TP: 10})
    assert progress.snapshot(lambda _tp: 0)[TP] == PartitionProgress(10, 0, 0.0, 0.0)
    clock.now += 3600
    progress.polled({TP: 10})
    clock.now += 5
    assert progress.snapshot(lambda _tp: 1)[TP].stuck_s == 5.0


def test_a_revoked_partition_is_forgotten() -> None:
    """A partition that left is no longer reported."""
    progress = CommitProgress(Clock())
    progress.polled({TP: 0})
    progress.left([TP])
    assert progress.snapshot(lambda _tp: 0) == {}


class FakeLoop:
    """Partition 0 fetched to 90 of 100 but committing at 40 (an event stuck there for 95 s)."""

    def __init__(self) -> None:
        self.consumer = WatchedConsumer(FakeConsumer())
        self.consumer.consume(500, timeout=0.05)  # the poll thread copies the consumer's state
        self.tracker, self.breaker = type("T", (), {"pending": 4})(), CircuitBreaker()
        self.partition_progress = {TP: PartitionProgress(40, 4, 95.0, 95.0)}


def test_committed_lag_shows_what_the_fetch_position_hides() -> None:
    """consumer_lag counts past the fetch position (10); committed_lag past the commit point (60), with the
    oldest event's age and the stuck time: a wedged partition no longer shows lag 0."""
    metrics = Metrics(CollectorRegistry())
    metrics.watch(LoopCollector(FakeLoop()))  # type: ignore[arg-type]
    labels = {"topic": "pics.learner", "partition": "0"}
    value = metrics.registry.get_sample_value
    assert value("pics_sync_consumer_lag", labels) == 10
    assert value("pics_sync_consumer_committed_lag", labels) == 60
    assert value("pics_sync_oldest_pending_seconds", labels) == 95
    assert value("pics_sync_commit_stuck_seconds", labels) == 95


class FakeParked:
    def __init__(self, reasons: dict[str, list[tuple[str, int]]]) -> None:
        self.reasons = reasons

    def by_reason(self, topics: list[str]) -> list[tuple[str, int, datetime]]:
        return [(r, n, datetime.now(UTC)) for t in topics for r, n in self.reasons.get(t, [])]


def test_parked_events_by_topic_and_reason() -> None:
    """The parked aggregate, per topic and reason, read at scrape time."""
    metrics = Metrics(CollectorRegistry())
    collector = ParkedCollector(None, ["pics.learner", "pics.officer"])  # type: ignore[arg-type]
    collector._parked = FakeParked({"pics.learner": [("unexpected InjectedFault", 3)]})  # type: ignore[assignment]
    metrics.watch(collector)
    labels = {"topic": "pics.learner", "reason": "unexpected InjectedFault"}
    assert metrics.registry.get_sample_value("pics_sync_parked_events", labels) == 3


def test_parked_reasons_stay_bounded() -> None:
    """A reason may name a record: past the 20 commonest, the rest are summed as one series."""
    reasons = [(f"no Smart Assessor employer is linked to PICS record O{n}", 30 - n) for n in range(25)]
    shown = bounded(reasons)
    assert len(shown) == 21 and shown[:20] == reasons[:20]
    assert shown[-1] == (OTHER_REASONS, sum(n for _r, n in reasons[20:]))


def test_parked_collector_answers_while_the_database_is_down() -> None:
    """A database that fails leaves the family out; the scrape still answers."""

    class Down:
        def by_reason(self, topics: list[str]) -> Any:
            raise OSError("down")

    collector = ParkedCollector(None, ["pics.learner"])  # type: ignore[arg-type]
    collector._parked = Down()  # type: ignore[assignment]
    assert list(collector.collect()) == []


def test_no_created_series() -> None:
    """Counters and histograms expose no ``_created`` series."""
    metrics = Metrics(CollectorRegistry())
    metrics.sa_call("PATCH /learners/{id}", "200", 0.1)
    scraped = generate_latest(metrics.registry).decode()
    assert "pics_sync_sa_calls_total" in scraped and "_created" not in scraped


def test_stamina_retries_are_served() -> None:
    """stamina's retry counter is in the registry /metrics serves."""
    tries = iter([ValueError("once"), None])

    @stamina.retry(on=ValueError, attempts=2, wait_initial=0, wait_max=0, wait_jitter=0)
    def flaky() -> None:
        if (error := next(tries)) is not None:
            raise error

    metrics = Metrics(CollectorRegistry())
    flaky()
    labels = {"error_type": "ValueError", "retry_num": "1"}
    found = [s for m in metrics.registry.collect() for s in m.samples if s.name == "stamina_retries_total"]
    assert any(s.labels.items() >= labels.items() for s in found), found


def test_the_heartbeat_carries_each_partitions_commit_point() -> None:
    """Every assigned partition is in the beat; a tracked one with its commit point, pending and stuck time."""
    beat = snapshot(FakeLoop(), "m", "g", "push")  # type: ignore[arg-type]
    assert beat.partitions == (
        PartitionBeat("pics.learner", 0, 40, 4, 95.0, 95.0),
        PartitionBeat("pics.learner", 1, None),
    )


def heartbeat(*partitions: PartitionBeat, age: float = 3.0, stopped: bool = False) -> Heartbeat:
    now = datetime.now(UTC)
    return Heartbeat("host/1/ab", "g", "push", "closed", sum(p.pending for p in partitions), now, now,
                     now if stopped else None, timedelta(seconds=age), partitions)  # fmt: skip


@pytest.mark.parametrize(
    ("beat", "named"),
    [
        pytest.param(heartbeat(PartitionBeat("pics.learner", 3, 120, 5, 200.0, 200.0)), True, id="wedged"),
        pytest.param(heartbeat(PartitionBeat("pics.learner", 3, 120, 5, 200.0, 1.0)), False, id="draining"),
        pytest.param(heartbeat(PartitionBeat("pics.learner", 3, 120, 0, 0.0, 0.0)), False, id="idle"),
        pytest.param(heartbeat(PartitionBeat("pics.learner", 3, 120, 5, 200.0, 200.0), age=90), False, id="dead"),
    ],
)
def test_status_names_a_wedged_partition(beat: Heartbeat, named: bool) -> None:
    """A live consumer's partition whose commit point has not moved for 2 min while work waits is a reason,
    by topic, partition and offset; one that drains, sits idle or whose consumer is gone is not."""
    report = StatusReport(datetime.now(UTC), (GroupStatus("push", "g", (), (beat,)),), pull_watched=False)
    wedged = [r for r in report.reasons() if "has not moved" in r]
    expected = "partition pics.learner[3] on host/1/ab: committed offset 120 has not moved for 3 min"
    assert [r.startswith(expected) for r in wedged] == ([True] if named else [])
    shown = json.loads(report.to_json())["groups"][0]
    assert len(shown["stuck"]) == int(named) and shown["consumers"][0]["partitions"][0]["partition"] == 3


def test_stuck_after_is_a_threshold() -> None:
    """The limit is the report's own: a shorter one names a partition sooner."""
    beat = heartbeat(PartitionBeat("pics.learner", 1, 7, 2, 20.0, 20.0))
    group = GroupStatus("push", "g", (), (beat,))
    assert group.stuck(Thresholds(stuck_after=timedelta(seconds=10)))
    assert not group.stuck(Thresholds())
