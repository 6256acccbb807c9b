"""``pics-sync bench reconcile``: the synchronisation of differences (DOMAIN.md D1–D6) over many learners.

Untimed set-up: ``learners`` learners in step in PICS and SA under every push on (``ALL_PUSH``: S6
Push with its toggles, S10 and S12 Push, S13 and S15 on, S16 Push), stored directly
(``sandbox.pics.in_sync``) on a fresh database, topic prefix and reset sandbox; a dry run over a
sample of the records must find nothing (``setup_differences``). Then the drift
(``sandbox.bench.drift_made``): 1 % of the learners corrupted in SA in five kinds, 0.5 % edited in PICS
while S1 was off. The bench keeps its own list of the (record, field) pairs it made differ:
``corrupted`` counts them, and detection is checked against it. A run covers the learners and the
employers and assessors linked to them, each once (``reconcile.Scope()``).

Then the sandbox is slowed (``latency_ms``, ``rate`` calls/s), the push consumer paced at the same
rate (``sa_rate_limit_per_s``) runs in its group, and:

1. the dry run (``pics-sync reconcile --dry-run``'s ``predict``, paced by the same client): its
   ``predicted_writes`` are the writes it lists, per record and field;
2. the real run (``pics-sync reconcile``'s ``start`` and ``send``), timed from the start of the run
   until every request has an outcome (``seconds``). ``floor_seconds`` is the SA calls SA answered
   meanwhile (refusals and token requests aside) ÷ the rate: no client can beat it.
   ``actual_writes`` are the run's drift records with a write action (pushed, enrolled), per field as
   the prediction is (one SA PATCH may carry several fields: the SA write calls, ``sa_writes``, are
   another count); ``prediction_mismatches`` counts fields predicted and not written, or written and
   not predicted;
3. SA read back (``sandbox.bench.read_back``): ``detected`` corrupted pairs among the run's drift
   records, ``repaired`` ones SA holds PICS's value of again, ``false_positives`` drift records of
   pairs not corrupted, ``sa_fields_wrong_after`` over every learner and course, duplicates;
4. a second real run: ``second_run_differences`` are its drift records (D4: none), with no request
   parked (``events_parked`` counts both runs': a parked request compared nothing).
"""

from __future__ import annotations

import math
import random
import resource
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import SecretStr

from consumers.kafka.clients import ensure_topics
from consumers.ops import reconcile
from consumers.ops.reconcile_requests import ASSESSORS, EMPLOYERS, LEARNERS, Target
from consumers.service import Service, open_service
from sandbox.bench.drift_made import Corrupted, corrupt
from sandbox.bench.read_back import Holding, duplicates, repaired, wrong_fields
from sandbox.bench.serving import Serving, serving
from sandbox.demo.profiles import ALL_PUSH
from sandbox.pics.in_sync import InStep, seed_in_sync
from sandbox.pics.people import People
from sandbox.pics.world import World
from sandbox.sa.process import SaSandboxProcess
from sandbox.stack.local import Stack
from sandbox.stack.postgres import fresh_database
from sync_core.config import RuntimeConfig, kafka_settings, topic_layout
from sync_core.drift.compare import Difference
from sync_core.pipeline.routes import PUSH_TOPICS
from sync_core.state.drift import DriftLog, DriftRecord
from sync_core.state.parked import ParkedEvents
from sync_core.state.settings_repo import SettingsRepository

Key = tuple[str, str | None, str]  # (entity, PICS id, field): a difference as the drift record names it
WRITES = frozenset({"pushed", "enrolled"})
PREDICTED_WRITES = frozenset({"would push", "would enrol"})
TOKEN = "POST /auth/token"
ALL = 10**9  # every drift record
# The figures issue #15 names, in its order; the others follow.
ISSUE_FIGURES = (
    "learners", "corrupted", "detected", "repaired", "false_positives", "sa_duplicate_records", "predicted_writes",
    "actual_writes", "second_run_differences", "sa_reads", "seconds", "floor_seconds", "ratio_to_floor",
    "peak_rss_mb",
)  # fmt: skip


@dataclass(frozen=True)
class SaCalls:
    """The SA calls of one stretch of time, from the sandbox's call log."""

    answered: int  # token requests and refusals aside
    reads: int
    writes: int
    refused_429: int
    first_at: float  # when the first and the last call arrived (epoch seconds)
    last_at: float

    @classmethod
    def since(cls, sa: SaSandboxProcess, seq: int) -> SaCalls:
        log = [c for c in sa.calls(since=seq)["log"] if f"{c['method']} {c['route']}" != TOKEN]
        served = [c for c in log if c["status"] != 429]
        reads = sum(c["method"] == "GET" for c in served)
        arrived = [datetime.fromisoformat(c["at"]).timestamp() for c in log] or [0.0]
        return cls(len(served), reads, len(served) - reads, len(log) - len(served), min(arrived), max(arrived))


@dataclass(frozen=True)
class RealRun:
    """One real run: its time, its SA calls and the drift records it made."""

    seconds: float
    cpu_seconds: float  # this process's (the push consumer's, the producer's)
    calls: SaCalls
    drift: Sequence[DriftRecord]
    started_at: float  # epoch seconds, as the call log's

    def where_time_went(self) -> dict[str, float]:
        """Seconds before SA's first call and after its last, and the calls a second in between."""
        lead, between = self.calls.first_at - self.started_at, self.calls.last_at - self.calls.first_at
        return {
            "before_first_call_s": round(lead, 2),
            "after_last_call_s": round(self.started_at + self.seconds - self.calls.last_at, 2),
            "calls_per_s_between": round(self.calls.answered / between, 1) if between > 0 else 0.0,
        }

    def keys(self, actions: Iterable[str] | None = None) -> Counter[Key]:
        """The run's drift records (with one of ``actions``), as (entity, PICS id, field)."""
        return Counter(_key(r) for r in self.drift if actions is None or r.action in actions)


def bench_reconcile(
    stack: Stack,
    base: RuntimeConfig,
    *,
    learners: int,
    rate: float,
    latency_ms: float,
    sample: int = 500,
    seed: int = 7,
) -> dict[str, Any]:
    """Set up, corrupt, predict, repair twice and read SA back; the figures."""
    sa = stack.sa
    assert sa is not None, "the bench needs the SA sandbox"
    config, took = _config(stack, base, rate, latency_ms), Stages()
    sa.reset()
    sa.configure(latency_ms=0, rate_limit_per_s=None, error_rate=0.0, timeout_rate=0.0)
    with open_service(config) as service, took("set-up"):
        step, enrolments = _in_step(service, sa, learners, seed)
        todo = reconcile.targets(service, reconcile.Scope())
        setup = _predicted(service, random.Random(seed).sample(todo, min(sample, len(todo))))
        corrupted = corrupt(service.pool, sa, step, enrolments, seed=seed)
    sa.configure(latency_ms=latency_ms, rate_limit_per_s=rate)
    try:
        with open_service(config, paced=True) as service, serving(service) as runtime:
            with took("dry run"):
                seq = _call_seq(sa)
                predicted = _predicted(service, todo)
                dry_calls = SaCalls.since(sa, seq)
            with took("real run"):
                first = _real_run(service, sa, runtime)
            with took("second run"):
                second = _real_run(service, sa, runtime)
            outcomes = dict(runtime.outcomes)
            # One line per reason, not per record: a reason ends with the ids it is about.
            parked = Counter(event.reason.split(" (id ")[0] for event in ParkedEvents(service.pool).find())
    finally:
        sa.configure(latency_ms=0, rate_limit_per_s=None)
    holding = Holding.read(sa)
    figures = _figures(config, Counter(entity for entity, _ in todo), corrupted, setup, predicted, first, second) | {
        "latency_ms": latency_ms,
        "dry_run_ratio_to_floor": round(took.seconds["dry run"] * rate / max(1, dry_calls.answered), 3),
        "repaired": repaired(step, holding, corrupted),
        "sa_duplicate_records": duplicates(holding),
        "sa_fields_wrong_after": wrong_fields(step, holding),
        "events_parked": outcomes.get("parked", 0),
        "outcomes": outcomes,
        "parked_reasons": dict(parked),
        "stage_seconds": took.seconds,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    return {name: figures[name] for name in ISSUE_FIGURES} | figures  # the issue's figures first, in its order


@dataclass
class Stages:
    """How long each stage took; each is named on stderr as it starts, so a long run shows where it is."""

    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        print(f"{name}…", file=sys.stderr, flush=True)
        started = time.monotonic()
        try:
            yield
        finally:
            self.seconds[name] = round(time.monotonic() - started, 1)


def _config(stack: Stack, base: RuntimeConfig, rate: float, latency_ms: float) -> RuntimeConfig:
    """A fresh database and topics; the push consumer paced at the sandbox's rate, with twice the calls in
    flight that the rate needs at this latency (as ``bench pull``)."""
    run = uuid.uuid4().hex[:8]
    config = base.model_copy(update={
        "database_url": SecretStr(fresh_database(stack.database_url)), "topic_prefix": f"bench-{run}.",
        "kafka_group_id": f"bench-{run}", "sa_rate_limit_per_s": rate,
        "sa_max_concurrency": math.ceil(rate * latency_ms / 1000 * 2) + 4,
    })  # fmt: skip
    ensure_topics(kafka_settings(config), [config.topic_prefix + t for t in PUSH_TOPICS], topic_layout(config))
    return config


def _in_step(service: Service, sa: SaSandboxProcess, learners: int, seed: int) -> tuple[InStep, dict[str, int]]:
    """``learners`` learners in step in PICS and SA under every push on (untimed)."""
    SettingsRepository(service.pool).set_many(ALL_PUSH)
    catalogue = sa.courses()
    world = World(People(seed), f"R{uuid.uuid4().hex[:4]}-")
    world.populate(learners, [str(c["qanCode"]) for c in catalogue])
    step = InStep.of(world, catalogue, ALL_PUSH["Qualification Second Assessor Role"])
    return step, seed_in_sync(service.pool, sa, step)


@dataclass(frozen=True)
class DryRun:
    """What a dry run found, as (entity, PICS id, field): the writes it lists, and anything else (a
    difference only reported, a record it could not compare: ``(reported)``, ``(not compared)``)."""

    writes: Counter[Key]
    other: Counter[Key]

    @property
    def total(self) -> int:
        return self.writes.total() + self.other.total()


def _predicted(service: Service, todo: Sequence[Target]) -> DryRun:
    """``pics-sync reconcile --dry-run``'s comparison (D4) over ``todo``."""
    writes: Counter[Key] = Counter()
    other: Counter[Key] = Counter()
    for predicted in reconcile.predict(service, todo, reconcile.Options(concurrency=service.config.workers)):
        writes.update(_key(d) for d in predicted.differences if d.action in PREDICTED_WRITES)
        other.update((d.entity, d.pics_id, f"({d.action})") for d in predicted.differences
                     if d.action not in PREDICTED_WRITES)  # fmt: skip
        if predicted.not_compared:
            other[(predicted.entity, predicted.record_id, "(not compared)")] += 1
    return DryRun(writes, other)


def _call_seq(sa: SaSandboxProcess) -> int:
    """The number of the sandbox's latest SA call (the log numbers every call, from 1)."""
    return sum(sa.calls(since=2**53)["counts"].values())


def _key(difference: Difference | DriftRecord) -> Key:
    return difference.entity, difference.pics_id, difference.field


def _real_run(service: Service, sa: SaSandboxProcess, runtime: Serving) -> RealRun:
    """A run of ``pics-sync reconcile``: its requests sent and each carried out by the push consumer, timed
    from the first request sent to the last outcome."""
    seq, done = _call_seq(sa), runtime.total
    wall, started_at, cpu = time.time(), time.monotonic(), time.process_time()
    started = reconcile.start(service, reconcile.Scope())
    reconcile.send(service, started, reconcile.Options())
    runtime.wait_for(done + len(started.todo))
    seconds, cpu = time.monotonic() - started_at, time.process_time() - cpu
    drift = DriftLog(service.pool).records(started.run_id, ALL)
    return RealRun(seconds, cpu, SaCalls.since(sa, seq), drift, wall)


def _figures(
    config: RuntimeConfig,
    records: Counter[str],
    corrupted: Sequence[Corrupted],
    setup: DryRun,
    predicted: DryRun,
    first: RealRun,
    second: RealRun,
) -> dict[str, Any]:
    made, found = {c.key for c in corrupted}, first.keys()
    actual = first.keys(WRITES)
    rate = config.sa_rate_limit_per_s or 1.0
    floor = first.calls.answered / rate
    return {
        "learners": records[LEARNERS], "employers": records[EMPLOYERS],
        "assessors": records[ASSESSORS], "corrupted": len(made), "detected": len(made & set(found)),
        "false_positives": sum(n for key, n in found.items() if key not in made),
        "predicted_writes": predicted.writes.total(), "actual_writes": actual.total(),
        "prediction_mismatches": ((predicted.writes - actual) + (actual - predicted.writes)).total(),
        "dry_run_other_differences": predicted.other.total(),
        "second_run_differences": len(second.drift), "setup_differences": setup.total,
        "sa_reads": first.calls.reads, "sa_writes": first.calls.writes, "sa_calls": first.calls.answered,
        "refused_429": first.calls.refused_429 + second.calls.refused_429,
        "seconds": round(first.seconds, 2), "floor_seconds": round(floor, 2),
        "ratio_to_floor": round(first.seconds / floor, 3) if floor else None,
        "cpu_ms_per_record": round(first.cpu_seconds * 1000 / records.total(), 2),
        "second_run_seconds": round(second.seconds, 2), "rate_limit_per_s": rate,
        "sa_max_concurrency": config.sa_max_concurrency, "workers": config.workers,
        "corrupted_by_kind": dict(Counter(c.kind for c in corrupted)), **first.where_time_went(),
    }  # fmt: skip
