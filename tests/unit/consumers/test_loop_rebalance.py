"""The push loop around a rebalance and around copies, with a fake broker and a fake pipeline (no I/O):
a revoked or lost partition's in-flight work is fenced, and handed back abandoned before the callback
returns, so no write of it follows; work that ends within the grace is kept; a copy of an event still
pending waits for it and is then a duplicate, once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, cast

import pytest
from confluent_kafka import Consumer

from consumers import loop as parallel
from consumers.loop import ParallelLoop
from sync_core.errors import SaUnavailable
from sync_core.fencing import Fence
from sync_core.outcome import Kind, Outcome, Source
from sync_core.pipeline.admission import Prior
from sync_core.pipeline.process import Delivery, PipelinePorts
from tests.support import wait_until

TOPIC = "pics.learner"


def delivery(offset: int, event_id: str, key: str | None = "L-1", partition: int = 0) -> Delivery:
    """A message whose bytes are its event id (the fake ``peek`` reads them so)."""
    return Delivery(Source(TOPIC, partition, offset, key), event_id.encode())


@dataclass
class Pipeline:
    """The pipeline and its ledger, in memory. An event of ``failing`` raises SaUnavailable on every try, one
    of ``blocked`` waits for ``release``; each SA write checks the work's fence, as the executor's does."""

    failing: set[str] = field(default_factory=set)
    blocked: set[str] = field(default_factory=set)
    release: threading.Event = field(default_factory=threading.Event)
    started: dict[str, threading.Event] = field(default_factory=dict)
    recorded: dict[str, Kind] = field(default_factory=dict)
    writes: list[int] = field(default_factory=list)  # offsets, one per SA write tried
    lock: threading.Lock = field(default_factory=threading.Lock)

    def priors(self, asked: list[tuple[str, str, str | None]]) -> dict[str, Prior]:
        """``Ledger.priors``: what the ledger holds now of each id asked."""
        return {event_id: Prior(self.recorded.get(event_id), parked_ahead=False) for event_id, _t, _k in asked}

    def fenced(self, fence: Fence) -> SimpleNamespace:
        """``PipelinePorts.fenced``: the ports a partition generation's works run on."""
        return SimpleNamespace(fence=fence)

    def process(self, delivery: Delivery, ports: Any, _mode: Any) -> Outcome:
        """``process``: admission on the delivery's prior (or the ledger now), one SA write, then the record."""
        event_id = (delivery.value or b"").decode()
        prior = delivery.prior or Prior(self.recorded.get(event_id), parked_ahead=False)
        if prior.outcome is not None:
            return Outcome(Kind.DUPLICATE, event_id)
        self.started.setdefault(event_id, threading.Event()).set()
        if event_id in self.blocked:
            self.release.wait()
        ports.fence.check()  # the executor's ``_Run.write``
        with self.lock:
            self.writes.append(delivery.source.offset)
        if event_id in self.failing:
            raise SaUnavailable("SA answered 503", status=503)
        ports.fence.check()  # ``_record``
        self.recorded[event_id] = Kind.APPLIED
        return Outcome(Kind.APPLIED, event_id)

    def written(self) -> list[int]:
        with self.lock:
            return list(self.writes)


@dataclass
class Broker:
    """The loop's view of Kafka: batches to poll, offsets stored, commits."""

    batches: list[list[Delivery]] = field(default_factory=list)
    stored: dict[tuple[str, int], int] = field(default_factory=dict)
    commits: int = 0

    def module(self) -> SimpleNamespace:
        """Stands in for ``consumers.kafka.consumer`` as the loop calls it."""
        return SimpleNamespace(
            poll=lambda _c, _n, _t: self.batches.pop(0) if self.batches else [],
            store=lambda _c, offsets: self.stored.update(offsets),
            commit=lambda _c: setattr(self, "commits", self.commits + 1),
            pause=lambda _c: [],
            resume=lambda _c, _partitions: None,
        )


@pytest.fixture
def pipeline(monkeypatch: pytest.MonkeyPatch) -> Pipeline:
    fake = Pipeline()
    monkeypatch.setattr(parallel, "process", fake.process)
    monkeypatch.setattr(parallel, "peek", SimpleNamespace(event_id=lambda value: value.decode()))
    return fake


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch) -> Broker:
    fake = Broker()
    monkeypatch.setattr(parallel, "kafka", fake.module())
    return fake


@pytest.fixture
def loop(pipeline: Pipeline, broker: Broker) -> Iterator[ParallelLoop]:
    ports = cast(PipelinePorts, SimpleNamespace(ledger=pipeline, fenced=pipeline.fenced))
    running = ParallelLoop(cast(Consumer, None), ports, concurrency=4, revoke_grace_s=0.0)
    yield running
    pipeline.release.set()
    running.shutdown()


def poll(loop: ParallelLoop, broker: Broker, *deliveries: Delivery) -> None:
    """One poll that returns these deliveries."""
    broker.batches.append(list(deliveries))
    loop.poll_once()


def drained(loop: ParallelLoop) -> bool:
    """Poll (nothing) and settle; True once no work is pending."""
    loop.poll_once()
    return loop.tracker.pending == 0


def test_a_revoked_partitions_retrying_work_is_handed_back_before_the_revoke_returns(
    loop: ParallelLoop, pipeline: Pipeline, broker: Broker
) -> None:
    """SA down past the grace: the work's generation is fenced, its backoff ends, and the callback returns only
    once the worker gave it back, abandoned: not counted, not committed, and no write of it follows."""
    pipeline.failing.add("e-7")
    poll(loop, broker, delivery(7, "e-7"))
    wait_until(lambda: len(pipeline.written()) >= 2)  # retrying
    loop._on_revoke([(TOPIC, 0)])
    tried = pipeline.written()
    assert loop.tracker.pending == 0 and loop._leases.out_in([(TOPIC, 0)]) == 0  # handed back already
    assert loop.tally.kinds == {} and broker.stored == {} and broker.commits == 1
    loop.shutdown()  # joins the workers: any try still coming would have been made by now
    assert pipeline.written() == tried and pipeline.recorded == {}


def test_a_lost_partitions_work_is_fenced_at_once_and_nothing_is_committed(
    loop: ParallelLoop, pipeline: Pipeline, broker: Broker
) -> None:
    """Partitions lost (another member may own them): no grace, however long it is set, and no commit."""
    loop.revoke_grace_s = 3600.0
    pipeline.failing.add("e-7")
    poll(loop, broker, delivery(7, "e-7"), delivery(3, "e-3", key="L-2", partition=1))
    wait_until(lambda: 7 in pipeline.written() and pipeline.recorded.get("e-3"))
    loop._on_lost([(TOPIC, 0)])
    tried = pipeline.written()
    assert loop.tracker.pending == 0 and broker.commits == 0
    loop.shutdown()
    assert pipeline.written() == tried and broker.stored == {(TOPIC, 1): 4}


def test_work_that_ends_within_the_grace_is_kept(loop: ParallelLoop, pipeline: Pipeline, broker: Broker) -> None:
    """A revoke waits up to ``revoke_grace_s`` for in-flight work: an event that finishes meanwhile counts and
    is committed before the partition goes, and the next event of its key, queued, is dropped unstarted."""
    loop.revoke_grace_s = 3600.0
    pipeline.blocked.add("e-7")
    poll(loop, broker, delivery(7, "e-7"), delivery(8, "e-8"))
    pipeline.started.setdefault("e-7", threading.Event()).wait(10)
    revoking = threading.Thread(target=loop._on_revoke, args=([(TOPIC, 0)],))
    revoking.start()
    pipeline.release.set()
    revoking.join(10)
    assert not revoking.is_alive()
    assert loop.tally.count(Kind.APPLIED) == 1 and pipeline.written() == [7]
    assert loop.tracker.pending == 0 and broker.commits == 1


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("L-1", id="same-key-queued-behind-it"),
        pytest.param(None, id="keyless-held-until-it-is-done"),
    ],
)
def test_a_copy_polled_while_its_event_is_pending_runs_once(
    loop: ParallelLoop, pipeline: Pipeline, broker: Broker, key: str | None
) -> None:
    """The same event delivered again while the first copy is still at work (SA slow), with the key's next
    edit between them: the copy waits for the first's outcome and is a duplicate, so the older edit is never
    pushed after the newer one."""
    pipeline.blocked.add("e-7")
    poll(loop, broker, delivery(7, "e-7", key))
    pipeline.started.setdefault("e-7", threading.Event()).wait(10)
    poll(loop, broker, delivery(8, "e-8", key), delivery(9, "e-7", key))  # the ledger knows neither yet
    pipeline.release.set()
    wait_until(lambda: drained(loop))
    assert sorted(pipeline.written()) == [7, 8]
    assert (loop.tally.count(Kind.APPLIED), loop.tally.count(Kind.DUPLICATE)) == (2, 1)
    assert broker.stored[(TOPIC, 0)] == 10
