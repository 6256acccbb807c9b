"""The daily pull producer: reads every eligible learner from SA and emits the items on ``sa.*``.

Learners are read in Learner Ident order, many at once (``concurrency``) under one token bucket
(``rate_per_s``). Every ``chunk`` learners, once their events are on Kafka, the run's checkpoint
moves to the last of them, so a crashed run resumes there (``--resume``) and re-reads at most the
read-ahead window. Event ids are deterministic per (run date, item): a rerun re-emits the same ids.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

import structlog

from consumers.kafka.clients import ensure_topics
from consumers.producer import EventProducer
from consumers.progress import Progress
from consumers.service import Service
from sync_core.config import kafka_settings
from sync_core.errors import PermanentError
from sync_core.pics.eligible import EligibleLearners
from sync_core.pipeline import policy
from sync_core.pipeline.retrying import call
from sync_core.pipeline.routes import PULL_TOPICS
from sync_core.pull.reads import Pulled, Reader
from sync_core.serde import new_event
from sync_core.settings import IntegrationSettings, Mode
from sync_core.smart_assessor.rate_limit import TokenBucket
from sync_core.state.pull_runs import PullRuns

log = structlog.get_logger("pics_sync.pull")
T = TypeVar("T")


@dataclass(frozen=True)
class PullOptions:
    """How a pull runs."""

    run_date: date
    resume: bool = False
    concurrency: int = 16
    rate_per_s: float = 25.0  # SA's limit as we pace ourselves under it
    chunk: int = 500
    progress: bool = True
    observe: Callable[[int, int], None] | None = None  # (learners read, learners to read), after each learner
    # Set (SIGTERM, SIGINT): read no further learner, send and checkpoint those read, and leave the
    # run unfinished for ``--resume``.
    stop: threading.Event | None = None


class PacedCalls:
    """Every SA call of a pull: paced by the token bucket, retried when transient, counted."""

    def __init__(self, rate_per_s: float) -> None:
        # Half of SA's own burst (a tenth of a second): a short stall here is made good afterwards,
        # while calls that bunch up on the way still fit SA's bucket (measured: a burst as large as
        # SA's drew 80 times as many 429s).
        self.bucket = TokenBucket(rate_per_s, burst=max(1.0, rate_per_s / 20))
        self._count = itertools.count()
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, fn: Callable[..., T], *args: Any) -> T:
        return call(lambda: self._paced(fn, *args), policy.PULL)

    def _paced(self, fn: Callable[..., T], *args: Any) -> T:
        self.bucket.acquire()
        with self._lock:
            self.calls += 1
        return fn(*args)


@dataclass
class _Run:
    service: Service
    options: PullOptions
    reader: Reader
    producer: EventProducer
    run_id: int
    checkpoint: Callable[[str], None]
    failed: int = 0
    done: int = 0  # learners whose events are sent

    def send(self, events: list[Pulled]) -> None:
        for pulled in events:
            value = new_event(pulled.name, pulled.payload, source="smart-assessor", event_id=pulled.event_id)
            self.producer.send(pulled.topic, pulled.key, value)

    def read(self, learner: dict[str, Any]) -> list[Pulled]:
        """The learner's pulled items; none when the policy parks its failure (counted and logged by class)."""
        try:
            return self.reader.learner(learner["learner_ident"], learner["smart_assessor_id"])
        except Exception as failed:
            if not isinstance(policy.decide(failed, 1, policy.PULL), policy.Park):
                raise
            log.warning("pull.learner_failed", key=learner["learner_ident"], error=type(failed).__name__)
            self.failed += 1
            return []


def run_pull(service: Service, options: PullOptions, learners: Sequence[dict[str, Any]], run_id: int) -> dict[str, Any]:
    """Read ``learners`` (and the officers and organisations a pull mode needs), emit, checkpoint."""
    config = service.config
    ensure_topics(kafka_settings(config), {config.topic_prefix + t: 6 for t in PULL_TOPICS})
    calls = PacedCalls(options.rate_per_s)
    settings = service.ports.settings()
    reader = Reader(service.sa, settings, options.run_date, calls)
    producer = EventProducer(kafka_settings(config), service.ports.serde, topic_prefix=config.topic_prefix)
    run = _Run(service, options, reader, producer, run_id, service.ports.execution.checkpoint)
    progress = Progress(len(learners), "pull: learners read") if options.progress else None
    with ThreadPoolExecutor(max_workers=options.concurrency, thread_name_prefix="pull") as pool:
        _read_all(run, pool, learners, calls, progress)
        if not _stopping(options):
            _linked_records(run, pool, learners, settings)
    if progress:
        progress.close()
    if _stopping(options):
        log.info("pull.stopped", run_id=run_id, learners_read=run.done, learners=len(learners))
        return PullRuns(service.pool).row(run_id) | {"status": "stopped", "learners_failed": run.failed}
    return PullRuns(service.pool).finish(run_id, "succeeded") | {"learners_failed": run.failed}


def _stopping(options: PullOptions) -> bool:
    return options.stop is not None and options.stop.is_set()


def _read_all(
    run: _Run,
    pool: ThreadPoolExecutor,
    learners: Sequence[dict[str, Any]],
    calls: PacedCalls,
    progress: Progress | None,
) -> None:
    """Read ahead a bounded window of learners; emit and checkpoint strictly in ident order.

    Reading never waits for a checkpoint, so chunk boundaries cost no idle time; a crash re-reads
    at most the window past the last checkpoint.
    """
    pending = iter(learners)
    window: deque[tuple[dict[str, Any], Future[list[Pulled]]]] = deque()
    chunk = _Chunk(calls.calls, run.reader.unmapped_sessions)

    def take(learner: dict[str, Any], events: list[Pulled]) -> None:
        run.send(events)
        chunk.add(learner["learner_ident"], len(events))
        run.done += 1
        if run.options.observe:
            run.options.observe(run.done, len(learners))
        if progress:
            progress.advance()

    while not _stopping(run.options):
        while len(window) < run.options.concurrency * 4 and (learner := next(pending, None)) is not None:
            window.append((learner, pool.submit(run.read, learner)))
        if not window:
            return
        learner, future = window.popleft()
        take(learner, future.result())
        if chunk.read == run.options.chunk or not window:
            chunk = _checkpoint(run, chunk, calls)
    _take_started(window, take)
    if chunk.read:
        _checkpoint(run, chunk, calls)


def _take_started(
    window: deque[tuple[dict[str, Any], Future[list[Pulled]]]], take: Callable[[dict[str, Any], list[Pulled]], None]
) -> None:
    """Stopping: drop the reads not started; take, in order, those that were, up to the first dropped."""
    for _learner, future in window:
        future.cancel()
    for learner, future in window:
        if future.cancelled():
            break  # the checkpoint moves over learners in order only: the rest are read on --resume
        take(learner, future.result())


@dataclass
class _Chunk:
    calls_before: int
    unmapped_before: int
    number: int = 1
    read: int = 0
    events: int = 0
    last: str = ""  # the ident of the last learner read

    def add(self, learner_ident: str, events: int) -> None:
        self.read += 1
        self.events += events
        self.last = learner_ident


def _checkpoint(run: _Run, chunk: _Chunk, calls: PacedCalls) -> _Chunk:
    """Every learner up to the chunk's last has its events on Kafka: move the run's checkpoint there."""
    run.producer.flush()
    PullRuns(run.service.pool).checkpoint(
        run.run_id, chunk.last, read=chunk.read, events=chunk.events,
        calls=calls.calls - chunk.calls_before, unmapped=run.reader.unmapped_sessions - chunk.unmapped_before,
    )  # fmt: skip
    run.checkpoint(f"after_pull_chunk:{chunk.number}")
    return _Chunk(calls.calls, run.reader.unmapped_sessions, number=chunk.number + 1)


def _linked_records(
    run: _Run, pool: ThreadPoolExecutor, learners: Sequence[dict[str, Any]], settings: IntegrationSettings
) -> None:
    """P10, P11: the linked officers and organisations, when their mode pulls."""
    if settings.officer_mode is not Mode.PULL and settings.organisation_mode is not Mode.PULL:
        return
    idents = [learner["learner_ident"] for learner in learners]
    officers, organisations = EligibleLearners(run.service.pool).linked_records(idents)
    events: list[Pulled] = []
    if settings.officer_mode is Mode.PULL:
        events += pool.map(lambda o: run.reader.officer(o["id"], o["additional_id"]), officers)
    if settings.organisation_mode is Mode.PULL:
        events += pool.map(lambda g: run.reader.organisation(g["id"], g["additional_id"]), organisations)
    run.send(events)
    run.producer.flush()


def daily_pull(service: Service, options: PullOptions) -> dict[str, Any]:
    """``pull daily``: a new run over every eligible learner, or with ``resume`` the rest of the date's
    unfinished run (nothing at all when the date's run already succeeded)."""
    if not service.ports.settings().integration_enabled:  # S1: nothing is pulled
        log.info("pull.skipped", reason="integration disabled", rule="S1")
        return {
            "status": "skipped",
            "reason": "integration disabled (S1)",
            "learners_eligible": 0,
            "learners_read": 0,
            "events": 0,
        }
    runs, eligible = PullRuns(service.pool), EligibleLearners(service.pool)
    unfinished = runs.unfinished(options.run_date) if options.resume else None
    done = runs.succeeded(options.run_date) if options.resume and unfinished is None else None
    if done is not None:
        log.info("pull.already_done", run_id=done["id"], run_date=options.run_date.isoformat())
        return done | {"learners_failed": 0}
    if unfinished is None:
        learners = eligible.daily(options.run_date)
        run_id = runs.start(options.run_date, "daily", len(learners))
    else:
        learners = eligible.daily(options.run_date, after=unfinished["checkpoint"] or "")
        run_id = unfinished["id"]
        log.info("pull.resumed", run_id=run_id, after=unfinished["checkpoint"], remaining=len(learners))
    summary = run_pull(service, options, learners, run_id)
    log.info("pull.finished", **{k: v for k, v in summary.items() if k not in ("started_at", "finished_at")})
    return summary


def learner_pull(service: Service, options: PullOptions, learner_ident: str) -> dict[str, Any]:
    """``pull learner``: one learner on demand (the manual "Refresh with Smart Assessor")."""
    learner = EligibleLearners(service.pool).one(learner_ident)
    if learner is None:
        raise PermanentError(f"learner {learner_ident} is not a Live learner in Smart Assessor (Y2)")
    run_id = PullRuns(service.pool).start(options.run_date, f"learner:{learner_ident}", 1)
    return run_pull(service, options, [learner], run_id)
