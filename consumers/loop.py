"""The production consume loop: key-ordered parallelism, backpressure, retries, safe rebalances.

One thread polls, hands work to ``concurrency`` worker threads and does all the bookkeeping
(``WorkTracker``): events of one key run one after another, many keys at once. It asks the ledger
about a whole poll in one round trip (``Ledger.priors``, admission's batch form), so those events
skip the per-event question. A partition's offset is stored only up to its lowest unfinished event,
so a crash or a rebalance never commits past work not done, and a repeat is a no-op thanks to the
ledger and the pushed-state hashes. Partitions pause while too much work is pending or while SA's
circuit is open.

Every error a worker meets ends as ``policy.decide`` says (``sync_core.pipeline.retrying``):
retried until it passes, parked by the pipeline, or a Stop: the loop then stops, commits nothing
past the event, and ``run`` raises, so the process exits with one clear line. No error leaves a
key waiting on work that will never finish.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

import structlog

from consumers.kafka import consumer as kafka
from consumers.kafka.consumer import Consumer, Partition
from consumers.kafka.messages import lag
from consumers.ordering import Work, WorkTracker
from sync_core.errors import FatalError, SaRateLimited, SaUnavailable, SyncError
from sync_core.outcome import Kind, Outcome, Tally
from sync_core.pipeline import policy
from sync_core.pipeline.admission import RunMode
from sync_core.pipeline.process import Delivery, PipelinePorts, process
from sync_core.pipeline.retrying import Abandoned, call
from sync_core.serde import peek
from sync_core.smart_assessor.circuit import CircuitBreaker, State

log = structlog.get_logger("pics_sync.runtime")
_ABANDONED = None  # a worker gave up on its work because the loop is stopping


@dataclass(frozen=True)
class _Stopped:
    """A worker's work ended in a Stop: the loop stops, and ``run`` raises ``error``."""

    error: BaseException


@dataclass
class ParallelLoop:
    """Consumes the subscribed topics with ``concurrency`` workers (events at once, each of another key).

    SA calls among them are capped by the SA client (``sa_max_concurrency``), which may be lower.
    """

    consumer: Consumer
    ports: PipelinePorts
    concurrency: int = 32
    max_pending: int = 2000  # pause fetching above this many polled-but-unfinished events
    batch_size: int = 500
    poll_timeout: float = 0.005  # consume() waits this long for a full batch: the latency it adds
    breaker: CircuitBreaker = field(default_factory=CircuitBreaker)
    tally: Tally = field(default_factory=Tally)
    mode: RunMode = field(default_factory=RunMode)
    observe: Callable[[Delivery, Outcome], None] | None = None  # called by the worker right after SA answered

    def __post_init__(self) -> None:
        self.tracker = WorkTracker()
        self._done: queue.SimpleQueue[tuple[Work, Outcome | _Stopped | None]] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._paused: list[Partition] = []
        # (topic, key) that parked an event here while later events of the key were pending: their
        # poll-time ledger answer is stale, so they ask again. Dropped once the key has nothing pending.
        self._parked_here: set[tuple[str, str]] = set()
        # Plain threads on one queue: ThreadPoolExecutor's future and bookkeeping per task cost more CPU
        # than the ordering itself (BENCHMARKS.md).
        self._queue: queue.SimpleQueue[tuple[Work, Delivery] | None] = queue.SimpleQueue()
        self._workers: list[threading.Thread] = []  # started with the first work
        self._fatal: BaseException | None = None
        self.last_progress = time.monotonic()  # when work last finished, or none was pending

    def subscribe(self, topics: list[str]) -> None:
        """Subscribe with a revoke callback that finishes the revoked partitions' work first."""
        kafka.subscribe(self.consumer, topics, self._on_revoke)

    def run(self, stop: threading.Event) -> Tally:
        """Consume until ``stop`` is set; then finish or abandon in-flight work and commit what is done.

        A Stop raises its error here, after the shutdown, with nothing committed past its event.
        """
        try:
            while not stop.is_set() and self._fatal is None:
                self.poll_once()
        finally:
            self.shutdown()
        self._raise_fatal()
        return self.tally

    def run_until_drained(self, stop: threading.Event, *, timeout: float = 300.0) -> Tally:
        """Consume until every assigned partition is read to its end and all work is done."""
        deadline = time.monotonic() + timeout
        try:
            while not stop.is_set() and self._fatal is None and time.monotonic() < deadline:
                if self.poll_once() == 0 and self._drained():
                    break
        finally:
            self.shutdown()
        self._raise_fatal()
        return self.tally

    def stalled_for(self) -> float:
        """Seconds since work last finished while work is pending (0.0 when none is pending)."""
        if self.tracker.pending == 0:
            return 0.0
        return time.monotonic() - self.last_progress

    def _drained(self) -> bool:
        # Cheapest first: asking the consumer for its assignment holds the interpreter lock while it waits.
        return self.tracker.pending == 0 and bool(self.consumer.assignment()) and lag(self.consumer) == 0

    def poll_once(self) -> int:
        """Settle finished work, adjust flow, then fetch and dispatch one batch."""
        self._settle()
        self._flow()
        deliveries = kafka.poll(self.consumer, self.batch_size, self.poll_timeout)
        for delivery in self._with_priors(deliveries):
            self._dispatch(delivery)
        return len(deliveries)

    def _with_priors(self, deliveries: list[Delivery]) -> Iterator[Delivery]:
        """The deliveries with what the ledger knows of each: one round trip for the poll, not one each."""
        pairs = [(peek.event_id(delivery.value), delivery) for delivery in deliveries]
        asked = [(event_id, delivery.source.topic, delivery.source.key) for event_id, delivery in pairs if event_id]
        try:
            priors = self.ports.ledger.priors(asked) if asked else {}
        except SyncError as failed:  # each event asks on its own, and meets the error there
            log.warning("ledger.poll_check_failed", error=type(failed).__name__)
            priors = {}
        for event_id, delivery in pairs:
            prior = priors.pop(event_id, None) if event_id else None  # a second copy in the poll asks on its own
            yield delivery if prior is None else replace(delivery, prior=prior)

    def _dispatch(self, delivery: Delivery) -> None:
        source = delivery.source
        work = Work(source.topic, source.partition, source.offset, source.key, delivery)
        for ready in self.tracker.add(work):
            self._start(ready)

    def _start(self, work: Work) -> None:
        delivery: Delivery = work.payload
        if delivery.prior is not None and (work.topic, work.key) in self._parked_here:
            delivery = replace(delivery, prior=None)  # an earlier event of its key parked since the poll
        if not self._workers:
            self._workers = [
                threading.Thread(target=self._serve, name=f"push-{n}", daemon=True) for n in range(self.concurrency)
            ]
            for worker in self._workers:
                worker.start()
        self._queue.put((work, delivery))

    def _serve(self) -> None:
        """Worker thread: take work until told to stop (``None``)."""
        while (task := self._queue.get()) is not None:
            self._work(*task)

    def _work(self, work: Work, delivery: Delivery) -> None:
        """Process one event as the policy says: its outcome, abandoned (we stop), or a Stop."""
        if self._stop.is_set():
            self._done.put((work, _ABANDONED))
            return
        try:
            outcome = call(
                lambda: process(delivery, self.ports, self.mode), policy.LIVE, stop=self._stop, on_failure=self._failed
            )
        except Abandoned:
            self._done.put((work, _ABANDONED))
            return
        except BaseException as failed:  # fatal, or an error the pipeline could not even park
            self._done.put((work, _Stopped(failed)))
            return
        self.breaker.success()
        if self.observe is not None:
            self.observe(delivery, outcome)
        self._done.put((work, outcome))

    def _failed(self, failure: BaseException) -> None:
        if isinstance(failure, SaUnavailable | SaRateLimited):
            self.breaker.failure()
        log.info("event.retrying", error=type(failure).__name__)

    def _settle(self, wait: float = 0.0) -> None:
        """Record finished work, start what waited behind it, store the offsets now safe to commit."""
        try:
            while True:
                work, outcome = self._done.get(timeout=wait) if wait else self._done.get_nowait()
                wait = 0.0
                self._finish(work, outcome)
        except queue.Empty:
            pass
        if self.tracker.pending == 0:
            self.last_progress = time.monotonic()
        kafka.store(self.consumer, self.tracker.committable())

    def _finish(self, work: Work, outcome: Outcome | _Stopped | None) -> None:
        if outcome is _ABANDONED:
            return  # not done: its offset stays uncommitted and it comes again
        if isinstance(outcome, _Stopped):
            self._stop_for(work, outcome.error)
            return  # not done either: nothing past it is committed
        self.last_progress = time.monotonic()
        self.tally.add(outcome)
        self._note_parked(work, outcome)
        for ready in self.tracker.done(work):
            if not self._stop.is_set():  # stopping: what waited stays unstarted and uncommitted
                self._start(ready)

    def _stop_for(self, work: Work, error: BaseException) -> None:
        if self._fatal is None:
            log.error("consumer.stopping", at=str(work), error=type(error).__name__)
            unparkable = FatalError(f"cannot finish or park {work}: {type(error).__name__}")
            self._fatal = error if isinstance(error, FatalError) else unparkable
        self._stop.set()

    def _raise_fatal(self) -> None:
        if self._fatal is not None:
            raise self._fatal

    def _note_parked(self, work: Work, outcome: Outcome) -> None:
        if work.key is None:
            return
        if outcome.kind is Kind.PARKED:
            self._parked_here.add((work.topic, work.key))
        elif (work.topic, work.key) in self._parked_here and not self.tracker.queued_behind(work.key):
            self._parked_here.discard((work.topic, work.key))

    def _flow(self) -> None:
        """Backpressure and the circuit breaker: pause all partitions, or resume them."""
        should_pause = self.tracker.pending > self.max_pending or self.breaker.state is State.OPEN
        if should_pause and not self._paused:
            self._paused = kafka.pause(self.consumer)
            log.info("consumer.paused", pending=self.tracker.pending, circuit=self.breaker.state.value)
        elif self._paused and not should_pause and self.tracker.pending <= self.max_pending // 2:
            kafka.resume(self.consumer, self._paused)
            self._paused = []
            log.info("consumer.resumed", pending=self.tracker.pending)

    def _on_revoke(self, revoked: list[Partition]) -> None:
        """Partitions are leaving: commit what is done, drop what never started, let in-flight work end.

        Work still running when the partitions go is not committed; the new owner gets it again and
        the ledger and pushed-state hashes make that repeat a no-op.
        """
        self._settle()
        self.tracker.revoke(revoked)
        # When stopping, the workers are gone: nothing more can finish, so there is nothing to wait for.
        deadline = time.monotonic() + (0.0 if self._stop.is_set() else 30.0)
        while self.tracker.pending_in(revoked) and time.monotonic() < deadline:
            self._settle(wait=0.1)
        self._paused = [tp for tp in self._paused if tp not in revoked]
        kafka.commit(self.consumer)

    def shutdown(self) -> None:
        """Stop the workers (abandoning retries), settle what finished, and store its offsets."""
        self._stop.set()
        self.ports.execution.doubts.stop()  # a worker waiting out a timed-out write gives up too
        for _worker in self._workers:
            self._queue.put(None)  # each worker takes one and ends; work queued before it is abandoned
        for worker in self._workers:
            worker.join()
        self.ports.execution.doubts.resume()  # the workers are gone; the ports may serve another loop
        self._settle()
