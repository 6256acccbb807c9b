"""The production consume loop: key-ordered parallelism, backpressure, retries, safe rebalances.

One thread polls, hands work to ``concurrency`` worker threads and does all the bookkeeping
(``WorkTracker``): events of one key run one after another, many keys at once. It asks the ledger
about a whole poll in one round trip (which events are new and wait behind no parked event), so
those events skip the per-event check. A partition's
offset is stored only up to its lowest unfinished event, so a crash or a rebalance never commits
past work not done, and a repeat is a no-op thanks to the ledger and the pushed-state hashes.
Partitions pause while too much work is pending or while SA's circuit is open.
"""

from __future__ import annotations

import queue
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

import psycopg
import stamina
import structlog
from confluent_kafka import Consumer, TopicPartition

from consumers.kafka.errors import raise_for_msg_error
from consumers.kafka.messages import lag, to_delivery
from consumers.ordering import Work, WorkTracker
from consumers.runtime import Tally
from sync_core.errors import SaRateLimited, SaUnavailable, TransientError
from sync_core.outcome import Kind, Outcome
from sync_core.pipeline.process import Delivery, PipelinePorts, RunMode, process
from sync_core.retry import backoff_hook
from sync_core.serde import peek
from sync_core.smart_assessor.circuit import CircuitBreaker, State

log = structlog.get_logger("pics_sync.runtime")
_ABANDONED = None  # a worker gave up on its work because the loop is stopping


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
        self._done: queue.SimpleQueue[tuple[Work, Outcome | None]] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._paused: list[TopicPartition] = []
        # (topic, key) that parked an event here while later events of the key were pending: their
        # poll-time ledger answer is stale, so they ask again. Dropped once the key has nothing pending.
        self._parked_here: set[tuple[str, str]] = set()
        # Plain threads on one queue: ThreadPoolExecutor's future and bookkeeping per task cost more CPU
        # than the ordering itself (BENCHMARKS.md).
        self._queue: queue.SimpleQueue[tuple[Work, Delivery] | None] = queue.SimpleQueue()
        self._workers: list[threading.Thread] = []  # started with the first work

    def subscribe(self, topics: list[str]) -> None:
        """Subscribe with a revoke callback that finishes the revoked partitions' work first."""
        self.consumer.subscribe(topics, on_revoke=self._on_revoke, on_lost=self._on_revoke)

    def run(self, stop: threading.Event) -> Tally:
        """Consume until ``stop`` is set; then finish or abandon in-flight work and commit what is done."""
        try:
            while not stop.is_set():
                self.poll_once()
        finally:
            self.shutdown()
        return self.tally

    def run_until_drained(self, stop: threading.Event, *, timeout: float = 300.0) -> Tally:
        """Consume until every assigned partition is read to its end and all work is done."""
        deadline = time.monotonic() + timeout
        try:
            while not stop.is_set() and time.monotonic() < deadline:
                if self.poll_once() == 0 and self._drained():
                    break
        finally:
            self.shutdown()
        return self.tally

    def _drained(self) -> bool:
        # Cheapest first: asking the consumer for its assignment holds the interpreter lock while it waits.
        return self.tracker.pending == 0 and bool(self.consumer.assignment()) and lag(self.consumer) == 0

    def poll_once(self) -> int:
        """Settle finished work, adjust flow, then fetch and dispatch one batch."""
        self._settle()
        self._flow()
        messages = self.consumer.consume(self.batch_size, timeout=self.poll_timeout)
        deliveries = []
        for msg in messages:
            raise_for_msg_error(msg)
            deliveries.append(to_delivery(msg))
        for delivery in self._vouched(deliveries):
            self._dispatch(delivery)
        return len(messages)

    def _vouched(self, deliveries: list[Delivery]) -> Iterator[Delivery]:
        """The deliveries, those the ledger knows to be new marked so: one round trip for the poll, not one each."""
        pairs = [(peek.event_id(delivery.value), delivery) for delivery in deliveries]
        asked = [(event_id, delivery.source.topic, delivery.source.key) for event_id, delivery in pairs if event_id]
        try:
            new = self.ports.ledger.known_new(asked) if asked else set()
        except psycopg.Error as failed:  # each event asks on its own, and meets the error there
            log.warning("ledger.poll_check_failed", error=type(failed).__name__)
            new = set()
        for event_id, delivery in pairs:
            if event_id in new:
                new.discard(event_id)  # a second copy in the same poll asks on its own
                yield replace(delivery, known_new=True)
            else:
                yield delivery

    def _dispatch(self, delivery: Delivery) -> None:
        source = delivery.source
        work = Work(source.topic, source.partition, source.offset, source.key, delivery)
        for ready in self.tracker.add(work):
            self._start(ready)

    def _start(self, work: Work) -> None:
        delivery: Delivery = work.payload
        if delivery.known_new and (work.topic, work.key) in self._parked_here:
            delivery = replace(delivery, known_new=False)  # an earlier event of its key parked since the poll
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
        """Process one event, retrying transient failures until it succeeds or we stop."""
        try:
            outcome = self._attempt(delivery)
            if outcome is _ABANDONED:
                self._done.put((work, _ABANDONED))
                return
            if self.observe is not None:
                self.observe(delivery, outcome)
            self._done.put((work, outcome))
        except BaseException:  # a bug: report the work unfinished so its offset is never committed
            log.exception("event.failed", key=work.key, offset=work.offset)
            self._done.put((work, _ABANDONED))

    def _attempt(self, delivery: Delivery) -> Outcome | None:
        """The first try runs bare: setting up the retry machinery for every event cost more than the ordering."""
        if self._stop.is_set():
            return _ABANDONED
        try:
            outcome = process(delivery, self.ports, self.mode)
        except TransientError as failed:
            wait = self._retry_hook(failed)
            log.info("event.retrying", error=type(failed).__name__)
            # stamina's own first wait, 0.1 s and up to 1 s of jitter, unless SA said when (Retry-After)
            return self._retried(delivery, 0.1 + random.random() if wait is True else float(wait))
        self.breaker.success()
        return outcome

    def _retried(self, delivery: Delivery, first_wait: float) -> Outcome | None:
        """After a transient failure: capped exponential backoff with jitter, until it succeeds or we stop."""
        if self._stop.wait(first_wait):
            return _ABANDONED
        for attempt in stamina.retry_context(on=self._retry_hook, attempts=None, timeout=None, wait_max=10.0):
            with attempt:
                if self._stop.is_set():
                    return _ABANDONED
                outcome = process(delivery, self.ports, self.mode)
                self.breaker.success()
        return outcome

    def _retry_hook(self, failure: Exception) -> bool | float:
        if isinstance(failure, SaUnavailable | SaRateLimited):
            self.breaker.failure()
        return backoff_hook(failure) if isinstance(failure, TransientError) else False

    def _settle(self, wait: float = 0.0) -> None:
        """Record finished work, start what waited behind it, store the offsets now safe to commit."""
        try:
            while True:
                work, outcome = self._done.get(timeout=wait) if wait else self._done.get_nowait()
                wait = 0.0
                if outcome is _ABANDONED:
                    continue  # not done: its offset stays uncommitted and it comes again
                self.tally.add(outcome)
                self._note_parked(work, outcome)
                for ready in self.tracker.done(work):
                    if not self._stop.is_set():  # stopping: what waited stays unstarted and uncommitted
                        self._start(ready)
        except queue.Empty:
            pass
        self._store_offsets()

    def _note_parked(self, work: Work, outcome: Outcome) -> None:
        if work.key is None:
            return
        if outcome.kind is Kind.PARKED:
            self._parked_here.add((work.topic, work.key))
        elif (work.topic, work.key) in self._parked_here and not self.tracker.queued_behind(work.key):
            self._parked_here.discard((work.topic, work.key))

    def _store_offsets(self) -> None:
        offsets = [TopicPartition(t, p, o) for (t, p), o in self.tracker.committable().items()]
        if offsets:
            self.consumer.store_offsets(offsets=offsets)

    def _flow(self) -> None:
        """Backpressure and the circuit breaker: pause all partitions, or resume them."""
        should_pause = self.tracker.pending > self.max_pending or self.breaker.state is State.OPEN
        if should_pause and not self._paused:
            self._paused = list(self.consumer.assignment())
            self.consumer.pause(self._paused)
            log.info("consumer.paused", pending=self.tracker.pending, circuit=self.breaker.state.value)
        elif self._paused and not should_pause and self.tracker.pending <= self.max_pending // 2:
            self.consumer.resume(self._paused)
            self._paused = []
            log.info("consumer.resumed", pending=self.tracker.pending)

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        """Partitions are leaving: commit what is done, drop what never started, let in-flight work end.

        Work still running when the partitions go is not committed; the new owner gets it again and
        the ledger and pushed-state hashes make that repeat a no-op.
        """
        revoked = [(tp.topic, tp.partition) for tp in partitions]
        self._settle()
        self.tracker.revoke(revoked)
        # When stopping, the workers are gone: nothing more can finish, so there is nothing to wait for.
        deadline = time.monotonic() + (0.0 if self._stop.is_set() else 30.0)
        while self.tracker.pending_in(revoked) and time.monotonic() < deadline:
            self._settle(wait=0.1)
        self._paused = [tp for tp in self._paused if (tp.topic, tp.partition) not in revoked]
        try:
            consumer.commit(asynchronous=False)
        except Exception as failed:  # nothing stored to commit, or the group has moved on
            log.info("consumer.commit_skipped", reason=str(failed))

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
