"""The daily run's producer: reads every eligible learner from SA and emits the items on ``sa.*``, and asks for
each learner's comparison with SA, then each linked employer's and assessor's, once however many learners
share it (D1: reconcile requests on the push topics, carried out by the push consumer in each record's key
order, D5; ``consumers.ops.reconcile_requests``), whatever the pull modes: the consumer applies the settings.

Learners are read in Learner Ident order, many at once (``concurrency``) under one token bucket
(``rate_per_s``). Every ``chunk`` learners, once their events are on Kafka, the run's checkpoint
moves to the last of them, so a crashed run resumes there (``--resume``) and re-reads at most the
read-ahead window. Event ids are deterministic per (pull run, item): ``--resume`` of a run re-emits
that run's ids (and asks again about the records linked to all of the run's learners, not only to
those left), while another run (``pull learner`` on the day of the nightly pull, the next night) has
ids of its own, so what SA changed in between reaches PICS.

P14: an item that cannot be read, mapped or encoded is dropped alone and counted in the run's row
(``items_dropped``, ``dropped_reasons``); a learner whose reading fails is counted (``learners_failed``)
and the run goes on. A run that stops on an error it cannot go past is marked failed, then raises.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter, deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any, TypeVar

import structlog

from consumers.kafka.clients import ensure_topics
from consumers.ops.reconcile_requests import LEARNERS, ReconcileRequests, ensure_request_topics, linked_targets
from consumers.producer import EventProducer
from consumers.progress import Progress
from consumers.service import Service
from sync_core.config import kafka_settings, topic_layout
from sync_core.errors import PermanentError
from sync_core.pics.eligible import EligibleLearners
from sync_core.pipeline import policy
from sync_core.pipeline.retrying import call
from sync_core.pipeline.routes import PULL_TOPICS
from sync_core.pull.encoding import Message, Ready, encode
from sync_core.pull.reads import Read, Reader
from sync_core.settings import IntegrationSettings, Mode
from sync_core.smart_assessor.at_once import in_turn
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
    # SA's limit as we pace ourselves under it; None: the SA client's own limiter paces the calls (the pull
    # half of a refresh, whose calls are the push consumer's: PICS_SYNC_SA_RATE_LIMIT_PER_S)
    rate_per_s: float | None = 25.0
    chunk: int = 500
    progress: bool = True
    observe: Callable[[int, int], None] | None = None  # (learners read, learners to read), after each learner
    # Set (SIGTERM, SIGINT): read no further learner, send and checkpoint those read, and leave the
    # run unfinished for ``--resume``.
    stop: threading.Event | None = None
    # Ask for each learner's comparison with SA, and its employer's and assessors' (D1). Off: the pull half
    # of a refresh the push consumer is carrying out, which has just compared the learner itself (R1 v2).
    reconcile: bool = True


class PacedCalls:
    """Every SA call of a pull: paced by the token bucket, retried when transient, counted."""

    def __init__(self, rate_per_s: float | None) -> None:
        # Half of SA's own burst (a tenth of a second): a short stall here is made good afterwards,
        # while calls that bunch up on the way still fit SA's bucket (measured: a burst as large as
        # SA's drew 80 times as many 429s). None: the SA client paces them (a refresh's, in the consumer).
        self.bucket = None if rate_per_s is None else TokenBucket(rate_per_s, burst=max(1.0, rate_per_s / 20))
        self._count = itertools.count()
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, fn: Callable[..., T], *args: Any) -> T:
        return call(lambda: self._paced(fn, *args), policy.PULL)

    def _paced(self, fn: Callable[..., T], *args: Any) -> T:
        if self.bucket is not None:
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
    requests: ReconcileRequests  # D1: on the run's producer, so a checkpoint's flush covers them
    failed: int = 0
    done: int = 0  # learners whose events are sent

    def send(self, messages: list[Message]) -> None:
        for topic, key, data in messages:
            self.producer.send_raw(topic, key, data)

    def read(self, learner: dict[str, Any]) -> Ready:
        """The learner's items, a bad one dropped alone (P14); none when the policy parks the learner's failure."""
        ident = learner["learner_ident"]
        return self.guarded(ident, lambda: self.reader.learner(ident, learner["smart_assessor_id"]))

    def linked(self, read_one: Callable[[str, str], Read], record: dict[str, Any]) -> Ready:
        """P10/P11: one linked officer's or organisation's item, guarded like a learner's."""
        return self.guarded(record["id"], partial(read_one, record["id"], record["additional_id"]))

    def guarded(self, key: str, read: Callable[[], Read]) -> Ready:
        """``read()`` encoded; a failure the policy would park is counted and the run goes on."""
        try:
            return encode(read(), self.service.ports.serde)
        except Exception as failed:
            if not isinstance(policy.decide(failed, 1, policy.PULL), policy.Park):
                raise
            log.warning("pull.learner_failed", key=key, error=type(failed).__name__)
            return Ready(Read(key), [], failed=True)


def run_pull(
    service: Service,
    options: PullOptions,
    learners: Sequence[dict[str, Any]],
    run_id: int,
    linked_of: Sequence[str] | None = None,
    producer: EventProducer | None = None,
) -> dict[str, Any]:
    """Read ``learners`` (and the officers and organisations a pull mode needs), emit, checkpoint; then the
    records linked to ``linked_of`` (default: ``learners``; a resumed run's: all of the run's learners).
    ``producer``: one ``pull_producer`` made, for a caller that pulls again and again (a refresh's pulls);
    by default the run makes its own.

    An error the run cannot go past (SA refusing us, tries run out) marks the run failed, then raises.
    """
    idents = [learner["learner_ident"] for learner in learners] if linked_of is None else list(linked_of)
    try:
        return _run_pull(service, options, learners, run_id, idents, producer or pull_producer(service))
    except Exception as stopped:
        log.error("pull.failed", run_id=run_id, error=type(stopped).__name__)
        PullRuns(service.pool).finish(run_id, "failed")
        raise


def pull_producer(service: Service) -> EventProducer:
    """A producer onto the pull's topics and the reconcile requests' (made if missing). Made once per run,
    or once for many: topics checked and an idempotent producer's id got cost about 0.6 s, a refresh's pull
    of one learner otherwise a fraction of it."""
    config = service.config
    ensure_topics(kafka_settings(config), [config.topic_prefix + t for t in PULL_TOPICS], topic_layout(config))
    ensure_request_topics(config)
    return EventProducer(kafka_settings(config), service.ports.serde, topic_prefix=config.topic_prefix)


def _run_pull(
    service: Service,
    options: PullOptions,
    learners: Sequence[dict[str, Any]],
    run_id: int,
    idents: list[str],
    producer: EventProducer,
) -> dict[str, Any]:
    calls = PacedCalls(options.rate_per_s)
    settings = service.ports.settings()
    # One learner (a refresh, ``pull learner``): someone waits for it, so its reads are made at once. The
    # daily run reads many learners at once already.
    at_once = service.ports.execution.at_once if len(learners) == 1 else None
    reader = Reader(service.sa, settings, run_id, calls, reads=in_turn if at_once is None else at_once.started)
    requests = ReconcileRequests(producer, run_id)
    run = _Run(service, options, reader, producer, run_id, service.ports.execution.checkpoint, requests)
    progress = Progress(len(learners), "pull: learners read") if options.progress else None
    with ThreadPoolExecutor(max_workers=options.concurrency, thread_name_prefix="pull") as pool:
        _read_all(run, pool, learners, calls, progress)
        if not _stopping(options):
            _linked_records(run, pool, idents, settings)
    if progress:
        progress.close()
    figures = {"learners_failed": run.failed, **requests.figures()}
    if _stopping(options):
        log.info("pull.stopped", run_id=run_id, learners_read=run.done, learners=len(learners))
        return PullRuns(service.pool).row(run_id) | figures | {"status": "stopped"}
    return PullRuns(service.pool).finish(run_id, "succeeded") | figures


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
    window: deque[tuple[dict[str, Any], Future[Ready]]] = deque()
    chunk = _Chunk(calls.calls)

    def take(learner: dict[str, Any], read: Ready) -> None:
        run.send(read.messages)
        if run.options.reconcile:  # whether or not SA could be read for the pull
            run.requests.send((LEARNERS, learner["learner_ident"]))
        chunk.add(learner["learner_ident"], read)
        run.failed += read.failed
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
    window: deque[tuple[dict[str, Any], Future[Ready]]], take: Callable[[dict[str, Any], Ready], None]
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
    number: int = 1
    read: int = 0
    events: int = 0
    unmapped: int = 0
    dropped: Counter[str] = field(default_factory=Counter)  # P14: reason → items
    last: str = ""  # the ident of the last learner read

    def add(self, learner_ident: str, items: Ready) -> None:
        self.read += 1
        self.events += len(items.messages)
        self.unmapped += items.read.unmapped
        self.dropped.update(dropped.reason for dropped in items.read.dropped)
        self.last = learner_ident


def _checkpoint(run: _Run, chunk: _Chunk, calls: PacedCalls) -> _Chunk:
    """Every learner up to the chunk's last has its events on Kafka: move the run's checkpoint there."""
    run.producer.flush()
    PullRuns(run.service.pool).checkpoint(
        run.run_id, chunk.last, read=chunk.read, events=chunk.events,
        calls=calls.calls - chunk.calls_before, unmapped=chunk.unmapped, dropped=chunk.dropped,
    )  # fmt: skip
    run.checkpoint(f"after_pull_chunk:{chunk.number}")
    return _Chunk(calls.calls, number=chunk.number + 1)


def _linked_records(run: _Run, pool: ThreadPoolExecutor, idents: list[str], settings: IntegrationSettings) -> None:
    """P10, P11: the linked officers and organisations, when their mode pulls; D1: a reconcile request for
    each, whatever the modes (the push consumer compares under the settings it reads then)."""
    pulls = settings.officer_mode is Mode.PULL or settings.organisation_mode is Mode.PULL
    if not pulls and not run.options.reconcile:
        return
    officers, organisations = EligibleLearners(run.service.pool).linked_records(idents)
    if run.options.reconcile:
        for target in linked_targets(officers, organisations):
            run.requests.send(target)
    reads: list[Ready] = []
    if settings.officer_mode is Mode.PULL:
        reads += pool.map(partial(run.linked, run.reader.officer), officers)
    if settings.organisation_mode is Mode.PULL:
        reads += pool.map(partial(run.linked, run.reader.organisation), organisations)
    for read in reads:
        run.send(read.messages)
    run.producer.flush()
    dropped = Counter(dropped.reason for read in reads for dropped in read.read.dropped)
    PullRuns(run.service.pool).add_dropped(run.run_id, dropped)


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
            "items_dropped": 0,
        }
    runs, eligible = PullRuns(service.pool), EligibleLearners(service.pool)
    unfinished = runs.unfinished(options.run_date) if options.resume else None
    done = runs.succeeded(options.run_date) if options.resume and unfinished is None else None
    if done is not None:
        log.info("pull.already_done", run_id=done["id"], run_date=options.run_date.isoformat())
        return done | {"learners_failed": 0}
    if unfinished is None:
        learners, linked_of = eligible.daily(options.run_date), None
        run_id = runs.start(options.run_date, "daily", len(learners))
    else:
        learners = eligible.daily(options.run_date, after=unfinished["checkpoint"] or "")
        run_id = unfinished["id"]
        log.info("pull.resumed", run_id=run_id, after=unfinished["checkpoint"], remaining=len(learners))
        # The linked records come after every learner: those of the learners read before the crash too (D1).
        linked_of = [row["learner_ident"] for row in eligible.daily(options.run_date)]
    summary = run_pull(service, options, learners, run_id, linked_of)
    log.info("pull.finished", **{k: v for k, v in summary.items() if k not in ("started_at", "finished_at")})
    return summary


def learner_pull(
    service: Service, options: PullOptions, learner_ident: str, producer: EventProducer | None = None
) -> dict[str, Any]:
    """``pull learner``: one learner on demand (the manual "Refresh with Smart Assessor"); ``producer``: see
    ``run_pull``."""
    learner = EligibleLearners(service.pool).one(learner_ident)
    if learner is None:
        raise PermanentError(f"learner {learner_ident} is not a Live learner in Smart Assessor (Y2)")
    return eligible_learner_pull(service, options, learner, producer)


def eligible_learner_pull(
    service: Service, options: PullOptions, learner: dict[str, Any], producer: EventProducer | None = None
) -> dict[str, Any]:
    """``learner_pull`` of a learner already read from ``EligibleLearners``."""
    run_id = PullRuns(service.pool).start(options.run_date, f"learner:{learner['learner_ident']}", 1)
    return run_pull(service, options, [learner], run_id, producer=producer)
