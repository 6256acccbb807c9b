"""``pics-sync bench push``: the runtime against the naive loop and the floor, on the same workload.

Each contender gets the same world (learners enrolled in SA beforehand, not timed), its own
database, topic and a reset sandbox, then consumes the same mix of PICS changes the demo makes. It
joins the group that did the set-up, so it starts where the set-up stopped: the enrolments it did
are neither timed again nor counted among the contender's events.
- naive: poll one, apply with the same handlers, commit, repeat;
- runtime: ``ParallelLoop`` (key order, ledger, hashes), its SA calls capped at ``concurrency`` at
  once; it runs the configured number of workers (by default one and a half times the cap), so
  that their ledger round trips leave no SA slot idle; its CPU per event is split by stage
  (``sandbox.bench.stages``);
- floor: consume, decode and PATCH the learner with no ordering, ledger or hashing, on ``concurrency``
  workers, the same cap (a worker that only calls SA has no use for more).
A last phase offers the runtime a steady 200 events/s and measures latency from ``occurred_at``
to SA's answer.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import psutil

from consumers.kafka.clients import make_consumer
from consumers.kafka.messages import to_delivery
from consumers.loop import ParallelLoop
from consumers.metrics import state_of, watched
from sandbox.bench.arena import Arena, arena, changes
from sandbox.bench.stages import StageClock
from sandbox.stack.local import Stack
from sync_core.config import RuntimeConfig, kafka_settings
from sync_core.pipeline.process import PipelinePorts, process
from sync_core.serde.peek import occurred_at
from sync_core.smart_assessor.client import SaClient

T = TypeVar("T")


@dataclass
class Figures:
    """One contender's figures."""

    events: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    sa_calls: int = 0
    peak_rss_mb: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)  # CPU ms per event by stage (``stages``), if timed

    def as_dict(self) -> dict[str, Any]:
        """The figures the report shows."""
        ordered = sorted(self.latencies_ms) or [0.0]
        by_stage = {"cpu_ms_per_event_by_stage": self.stages} if self.stages else {}
        return by_stage | {
            "events": self.events,
            "events_per_s": round(self.events / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": round(statistics.median(ordered), 1),
            "p99_ms": round(p99(ordered), 1),
            "sa_calls_per_event": round(self.sa_calls / self.events, 2) if self.events else 0.0,
            "peak_rss_mb": round(self.peak_rss_mb, 1),
        }


@contextmanager
def peak_rss(figures: Figures) -> Iterator[None]:
    """Sample this process's resident memory while the block runs; keep the peak."""
    process_ = psutil.Process()
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            figures.peak_rss_mb = max(figures.peak_rss_mb, process_.memory_info().rss / 2**20)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield
    finally:
        done.set()
        sampler.join()


def latency_ms(when: datetime) -> float:
    """Milliseconds from the event's occurrence in PICS to now."""
    return (datetime.now(UTC) - when).total_seconds() * 1000


def sa_calls(stack: Stack) -> int:
    """SA API calls so far, token requests aside."""
    assert stack.sa is not None
    return sum(n for route, n in stack.sa.calls()["counts"].items() if route != "POST /auth/token")


Contender = Callable[[Arena, Figures], None]
SPEED_OPS = 5_000_000  # the machine-speed loop's fixed size: about half a second on this machine kind


def machine_speed(ops: int = SPEED_OPS) -> float:
    """Operations a second of a fixed pure-Python loop (integer arithmetic and dict updates), by the wall
    clock: this machine's speed for Python today, printed beside the figures so runs of other days compare."""
    table: dict[int, int] = {}
    started = time.perf_counter()
    for n in range(ops):
        slot = n & 1023
        table[slot] = table.get(slot, 0) + n * 7 % 13
    return round(ops / (time.perf_counter() - started))


def measure(
    stack: Stack, base: RuntimeConfig, contender: Contender, *, events: int, learners: int, concurrency: int
) -> Figures:
    """Run one contender over ``events`` changes in its own arena."""
    figures = Figures(events=events)
    with arena(stack, base, learners, concurrency) as ground:
        ground.sender.send_all(changes(ground.world, events))
        before = sa_calls(stack)
        started = time.monotonic()
        with peak_rss(figures):
            contender(ground, figures)
        figures.seconds = time.monotonic() - started
        figures.sa_calls = sa_calls(stack) - before
    return figures


def naive(ground: Arena, figures: Figures) -> None:
    """Poll one, apply it with the same handlers, commit it, repeat."""
    config, ports = ground.service.config, ground.service.ports
    consumer = make_consumer(kafka_settings(config), config.kafka_group_id, **{"enable.auto.commit": False})
    consumer.subscribe(ground.topics())
    try:
        while len(figures.latencies_ms) < figures.events:
            msg = consumer.poll(1.0)
            if msg is None or msg.error():
                continue
            delivery = to_delivery(msg)
            process(delivery, ports)
            figures.latencies_ms.append(latency_ms(ports.serde.decode(delivery.value or b"").envelope.occurred_at))
            consumer.commit(message=msg, asynchronous=False)
    finally:
        consumer.close()


def _timed_loop(ground: Arena, figures: Figures) -> tuple[Any, ParallelLoop]:
    """A runtime consumer that records each event's latency from ``occurred_at`` to SA's answer."""
    config = ground.service.config
    lock = threading.Lock()

    def observe(delivery: Any, _outcome: Any) -> None:
        at = occurred_at(delivery.value)  # read from the envelope's bytes: no second decode on the clock
        if at is None:
            return
        with lock:
            figures.latencies_ms.append((time.time() - at) * 1000)

    consumer = watched(make_consumer(kafka_settings(config), config.kafka_group_id))
    loop = ParallelLoop(consumer, ground.service.ports, concurrency=config.workers, observe=observe)
    loop.subscribe(ground.topics())
    return consumer, loop


def runtime(ground: Arena, figures: Figures) -> None:
    """This product's consume loop, over the backlog."""
    consumer, loop = _timed_loop(ground, figures)
    clock = StageClock()
    try:
        with clock.running():
            loop.run_until_drained(threading.Event(), timeout=3600)
    finally:
        consumer.close()
    figures.stages = clock.ms_per_event(figures.events)


def floor_patch(ports: PipelinePorts, sa: SaClient, value: bytes) -> datetime:
    """The floor's work for one event: decode it and PATCH its record in SA; the event's ``occurred_at``."""
    event = ports.serde.decode(value)
    record = next(iter(event.payload.values()))
    if "learner_ident" in record:
        sa_id = record["smart_assessor_id"] or ports.lookups.sa_id("learner", record["learner_ident"])
        sa.update_learner(str(sa_id), {"email": record.get("email")})
    elif "organisation_id" in record:
        sa.update_employer(record["additional_id"], {"phoneNumber": record.get("phone_number")})
    else:
        sa.update_assessor(record["additional_id"], {"mobileNumber": record.get("mobile_number")})
    return event.envelope.occurred_at


def floor(ground: Arena, figures: Figures) -> None:
    """Consume, decode and PATCH the record, with no ordering, ledger or hashing, same workers."""
    config, ports, sa = ground.service.config, ground.service.ports, ground.service.sa
    consumer = make_consumer(kafka_settings(config), config.kafka_group_id)
    consumer.subscribe(ground.topics())
    lock, slots = threading.Lock(), threading.Semaphore(config.sa_max_concurrency * 2)

    def post(value: bytes) -> None:
        try:
            when = floor_patch(ports, sa, value)
            with lock:
                figures.latencies_ms.append(latency_ms(when))
        finally:
            slots.release()

    with ThreadPoolExecutor(max_workers=config.sa_max_concurrency) as pool:
        taken = 0
        while taken < figures.events:
            for msg in consumer.consume(500, timeout=0.2):
                if msg.error() is None:
                    slots.acquire()
                    pool.submit(post, msg.value() or b"")
                    taken += 1
    consumer.close()


def steady_latency(
    stack: Stack, base: RuntimeConfig, *, rate: float, events: int, learners: int, concurrency: int
) -> Figures:
    """The runtime at a steady offered load: latency from occurred_at to SA's answer."""
    figures = Figures(events=events)
    with arena(stack, base, learners, concurrency) as ground:
        stop = threading.Event()
        serving: list[Any] = []
        consumer_thread = threading.Thread(target=_serve, args=(ground, figures, stop, serving), daemon=True)
        consumer_thread.start()
        # The load starts once the consumer has its partitions: joining the group is not steady state.
        deadline = time.monotonic() + 60
        while not (serving and state_of(serving[0]).lags) and time.monotonic() < deadline:
            time.sleep(0.1)
        pending = changes(ground.world, events)
        started = time.monotonic()
        for n, emitted in enumerate(pending):
            time.sleep(max(0.0, started + n / rate - time.monotonic()))
            ground.sender.send_all([emitted])
        deadline = time.monotonic() + 60
        while len(figures.latencies_ms) < events and time.monotonic() < deadline:
            time.sleep(0.1)
        figures.seconds = time.monotonic() - started
        stop.set()
        consumer_thread.join()
    return figures


def _serve(ground: Arena, figures: Figures, stop: threading.Event, serving: list[Any]) -> None:
    consumer, loop = _timed_loop(ground, figures)
    serving.append(consumer)
    try:
        loop.run(stop)
    finally:
        consumer.close()


def bench_push(
    stack: Stack,
    base: RuntimeConfig,
    *,
    events: int,
    learners: int,
    latency: float,
    concurrency: int,
    steady_events: int = 2000,
    repeat: int = 1,
) -> dict[str, Any]:
    """All three contenders and the steady-load latency, in one run.

    With ``repeat`` above one the runtime and the floor run that many times, taking turns, and each
    reports its median run by events/s: on a shared machine one run of either can fall 15% either way.
    """
    assert stack.sa is not None
    sizes = {"learners": learners, "concurrency": concurrency}
    speed = machine_speed()
    stack.sa.configure(latency_ms=latency, rate_limit_per_s=None, error_rate=0.0, timeout_rate=0.0)
    try:
        naive_figures = measure(stack, base, naive, events=min(events, max(100, events // 10)), **sizes)
        turns: dict[str, list[Figures]] = {"runtime": [], "floor": []}
        for _ in range(repeat):
            turns["runtime"].append(measure(stack, base, runtime, events=events, **sizes))
            turns["floor"].append(measure(stack, base, floor, events=events, **sizes))
        results = {"naive": naive_figures} | {name: _median(runs) for name, runs in turns.items()}
        steady = steady_latency(stack, base, rate=200.0, events=steady_events, **sizes)
    finally:
        stack.sa.configure(latency_ms=0)
    report: dict[str, Any] = {name: figures.as_dict() for name, figures in results.items()}
    runtime_eps = report["runtime"]["events_per_s"]
    return report | {
        "ratio_vs_naive": round(runtime_eps / report["naive"]["events_per_s"], 1),
        "ratio_vs_floor": round(runtime_eps / report["floor"]["events_per_s"], 2),
        "at_200_per_s": steady.as_dict(),
        "sa_max_concurrency": concurrency,
        "runtime_workers": base.model_copy(update={"sa_max_concurrency": concurrency}).workers,
        "sa_latency_ms": latency,
        "repeat": repeat,
        "machine_speed_ops_per_s": speed,
    }


def _median(runs: list[Figures]) -> Figures:
    return median_by(runs, lambda figures: figures.events / figures.seconds)


def median_by(runs: Sequence[T], rate: Callable[[T], float]) -> T:
    """The run whose ``rate`` is the median (the lower middle one of an even count): ``--repeat``'s pick."""
    return sorted(runs, key=rate)[(len(runs) - 1) // 2]


def p99(ordered: Sequence[float]) -> float:
    """The 99th percentile of sorted values, by nearest rank."""
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
