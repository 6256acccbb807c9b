"""The production consume loop: key-ordered parallelism, backpressure, retries, safe rebalances.

One thread polls, hands work to ``concurrency`` worker threads and does all the bookkeeping
(``WorkTracker``): events of one key run one after another, many keys at once. It asks the ledger
about a whole poll in one round trip (``Ledger.priors``, admission's batch form), so those events
skip the per-event question. A partition's offset is stored only up to its lowest unfinished event,
so a crash or a rebalance never commits past work not done, and a repeat is a no-op thanks to the
ledger and the pushed-state hashes. Partitions pause while too much work is pending or while SA's
circuit is open (``consumers.flow``).

Every error a worker meets ends as ``policy.decide`` says (``sync_core.pipeline.retrying``):
retried until it passes, parked by the pipeline, or a Stop: the loop then stops, commits nothing
past the event, and ``run`` raises, so the process exits with one clear line. No error leaves a
key waiting on work that will never finish.

Rebalances. Each partition's works run on the ports of its generation's lease (``consumers.leases``).
When the partition is revoked, its in-flight work may finish for ``revoke_grace_s``; then the lease
is ended, fencing that work (at once when the partition was lost, or the loop stops), and the callback
waits until the workers have handed every such work back, abandoned: no write of ours for the
partition can land after its next owner's. A copy of an event whose first copy is still pending here
waits for its outcome, and then asks the ledger: it runs once (``consumers.ordering.Copies``).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace

import structlog

from consumers.commit_progress import CommitProgress, PartitionProgress
from consumers.flow import Flow
from consumers.kafka import consumer as kafka
from consumers.kafka.consumer import Consumer, Partition
from consumers.kafka.messages import lag
from consumers.leases import Lease, Leases
from consumers.ordering import Copies, Work, WorkTracker
from sync_core.errors import FatalError, SaRateLimited, SaUnavailable, SyncError
from sync_core.outcome import Kind, Outcome, Tally
from sync_core.pipeline import policy
from sync_core.pipeline.admission import RunMode
from sync_core.pipeline.process import Delivery, PipelinePorts, process
from sync_core.pipeline.retrying import Abandoned, call
from sync_core.serde import peek
from sync_core.smart_assessor.circuit import CircuitBreaker

log = structlog.get_logger("pics_sync.runtime")
_ABANDONED = None  # a worker gave up on its work: the loop stops, or its partition generation is gone


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
    revoke_grace_s: float = 30.0  # how long a revoked partition's in-flight work may finish before it is fenced
    retry_policy: policy.Policy = policy.LIVE  # tests shorten its backoff
    fence_wait_s: float = 60.0  # the longest a revoke waits for fenced work to come back (an SA call's timeout)

    def __post_init__(self) -> None:
        self.tracker = WorkTracker()
        self._done: queue.SimpleQueue[tuple[Work, Outcome | _Stopped | None]] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._flow = Flow(self.consumer, self.max_pending)
        # (topic, key) that parked an event here while later events of the key were pending: their
        # poll-time ledger answer is stale, so they ask again. Dropped once the key has nothing pending.
        self._parked_here: set[tuple[str, str]] = set()
        # Plain threads on one queue: ThreadPoolExecutor's future and bookkeeping per task cost more CPU
        # than the ordering itself (BENCHMARKS.md).
        self._queue: queue.SimpleQueue[tuple[Work, Delivery, Lease] | None] = queue.SimpleQueue()
        self._workers: list[threading.Thread] = []  # started with the first work
        self._fatal: BaseException | None = None
        self.last_progress = time.monotonic()  # when work last finished, or none was pending
        self._leases = Leases(self.ports)
        self._copies = Copies()  # a copy of a pending event waits for its outcome
        self._commits = CommitProgress()  # each partition's commit point and its oldest work, for monitoring
        self._progress_at = float("-inf")
        self.topics: list[str] = []  # set by ``subscribe``
        self.drained = False  # ``run_until_drained`` got to the end of every assigned partition

    def subscribe(self, topics: list[str]) -> None:
        """Subscribe with callbacks that finish or fence the work of partitions revoked or lost."""
        self.topics = list(topics)  # what the metrics count parked events on
        kafka.subscribe(self.consumer, topics, self._on_revoke, self._on_lost, self._flow.assigned)

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
        """Consume until every assigned partition is read to its end and all work is done; ``drained`` then
        says True (False: ``stop`` or ``timeout`` came first). A consumer not assigned a partition yet is not
        drained: it waits for its assignment."""
        deadline = time.monotonic() + timeout
        try:
            while not stop.is_set() and self._fatal is None and time.monotonic() < deadline:
                if self.poll_once() == 0 and self._drained():
                    self.drained = True
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

    @property
    def partition_progress(self) -> Mapping[tuple[str, int], PartitionProgress]:
        """Each tracked partition's commit point and oldest pending work, as the poll thread last copied it
        (at most a second old): safe to read from any thread."""
        return self._commits.last

    def _drained(self) -> bool:
        # Cheapest first: asking the consumer for its assignment holds the interpreter lock while it waits.
        return self.tracker.pending == 0 and bool(self.consumer.assignment()) and lag(self.consumer) == 0

    def poll_once(self) -> int:
        """Settle finished work, adjust flow, then fetch and dispatch one batch."""
        self._settle()
        self._flow.adjust(self.tracker.pending, self.breaker.state)
        deliveries = kafka.poll(self.consumer, self.batch_size, self.poll_timeout)
        self._note_polled(deliveries)
        for event_id, delivery in self._with_priors(deliveries):
            self._dispatch(event_id, delivery)
        return len(deliveries)

    def _note_polled(self, deliveries: list[Delivery]) -> None:
        firsts: dict[tuple[str, int], int] = {}
        for delivery in deliveries:
            firsts.setdefault((delivery.source.topic, delivery.source.partition), delivery.source.offset)
        self._commits.polled(firsts)
        if time.monotonic() - self._progress_at >= 1.0:  # a copy for the other threads, once a second
            self._commits.snapshot(lambda tp: self.tracker.pending_in([tp]))
            self._progress_at = time.monotonic()

    def _with_priors(self, deliveries: list[Delivery]) -> Iterator[tuple[str | None, Delivery]]:
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
            yield event_id, delivery if prior is None else replace(delivery, prior=prior)

    def _dispatch(self, event_id: str | None, delivery: Delivery) -> None:
        source = delivery.source
        generation = self.tracker.generation((source.topic, source.partition))
        if self._copies.pending(event_id):
            delivery = replace(delivery, prior=None)  # a copy: it asks the ledger once the pending one is done
        work = Work(source.topic, source.partition, source.offset, source.key, delivery, generation, event_id)
        self._copies.arrive(work)
        for ready in self.tracker.add(work):
            self._start(ready)

    def _start(self, work: Work) -> None:
        if not self._copies.may_start(work):
            return  # another copy of its event is pending: ``_release`` starts it after that one
        delivery: Delivery = work.payload
        if delivery.prior is not None and (work.topic, work.key) in self._parked_here:
            delivery = replace(delivery, prior=None)  # an earlier event of its key parked since the poll
        if not self._workers:
            self._workers = [
                threading.Thread(target=self._serve, name=f"push-{n}", daemon=True) for n in range(self.concurrency)
            ]
            for worker in self._workers:
                worker.start()
        self._leases.handed_out(work.tp)
        self._queue.put((work, delivery, self._leases.of(work.tp, current=self.tracker.current(work))))

    def _release(self, work: Work) -> None:
        """The work is done or dropped: the next copy of its event, if one waits, starts."""
        copy = self._copies.done(work)
        if copy is not None and not self._stop.is_set():
            self._start(copy)

    def _serve(self) -> None:
        """Worker thread: take work until told to stop (``None``)."""
        while (task := self._queue.get()) is not None:
            self._work(*task)

    def _work(self, work: Work, delivery: Delivery, lease: Lease) -> None:
        """Process one event as the policy says: its outcome, abandoned (fenced), or a Stop."""
        if lease.fence.is_set():  # the loop stops, or the partition left: its next owner does it
            self._done.put((work, _ABANDONED))
            return
        try:
            outcome = call(
                lambda: process(delivery, lease.ports, self.mode),
                self.retry_policy,
                stop=lease.fence,
                on_failure=self._failed,
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
        offsets = self.tracker.committable()
        kafka.store(self.consumer, offsets)
        self._commits.stored(offsets)

    def _finish(self, work: Work, outcome: Outcome | _Stopped | None) -> None:
        self._leases.handed_back(work.tp)
        if isinstance(outcome, _Stopped):
            self._stop_for(work, outcome.error)
            return  # not done: nothing past it is committed
        if outcome is _ABANDONED:
            if self.tracker.current(work):
                return  # the loop stops: not done, its offset stays uncommitted and it comes again
            # Fenced, its partition gone: it frees its key and records nothing; the next owner does it.
        else:
            self.last_progress = time.monotonic()
            self.tally.add(outcome)
            self._note_parked(work, outcome)
        self._release(work)
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

    def _on_revoke(self, revoked: list[Partition]) -> None:
        """Partitions are leaving: drop what never started, let in-flight work end, fence it, commit what is done.

        Work still running after ``revoke_grace_s`` (none when stopping: the workers are gone) is
        fenced and waited for: it ends abandoned, uncommitted, and the new owner does it again.
        """
        self._leave(revoked, grace=0.0 if self._stop.is_set() else self.revoke_grace_s)
        kafka.commit(self.consumer)

    def _on_lost(self, lost: list[Partition]) -> None:
        """Partitions were lost (our session expired): another member may own them already, so their work
        is fenced at once, and nothing is committed."""
        log.warning("consumer.partitions_lost", partitions=len(lost))
        self._leave(lost, grace=0.0)

    def _leave(self, partitions: list[Partition], *, grace: float) -> None:
        self._settle()
        for dropped in self.tracker.revoke(partitions):
            self._release(dropped)
        self._settle_while(lambda: self.tracker.pending_in(partitions) > 0, grace)
        self._leases.end(partitions)
        if not self._settle_while(lambda: self._leases.out_in(partitions) > 0, self.fence_wait_s):
            log.error("consumer.fenced_work_still_running", works=self._leases.out_in(partitions))
        self._flow.left(partitions)
        self._commits.left(partitions)

    def _settle_while(self, busy: Callable[[], bool], seconds: float) -> bool:
        """Settle finished work while ``busy()``, for at most ``seconds``; True once it is not."""
        deadline = time.monotonic() + seconds
        while busy():
            if time.monotonic() >= deadline:
                return False
            self._settle(wait=0.1)
        return True

    def shutdown(self) -> None:
        """Stop the workers (fencing every generation: retries and waits abandoned), settle what finished,
        and store its offsets."""
        self._stop.set()
        self._leases.end_all()
        for _worker in self._workers:
            self._queue.put(None)  # each worker takes one and ends; work queued before it is abandoned
        for worker in self._workers:
            worker.join()
        self._settle()
