"""Key-ordered parallel work: which polled messages may start now, and how far each partition may commit.

The broker-free core of the consume loop's parallelism (Confluent Parallel Consumer's ``state/``):
pure bookkeeping, no Kafka, no threads. The loop calls it from one thread: it hands over every
polled message as a ``Work``, starts the works ``add`` and ``done`` return, hands each back to
``done`` once its outcome is recorded, and commits what ``committable`` reports.

Ordering. Works of one key start strictly one after another, in order of arrival; works of
different keys, and works without a key, start at once (the loop bounds concurrency itself).

Watermark. A partition may commit up to its lowest added offset not yet done, or one past its last
added offset once all are done. Only added offsets count, so gaps (compacted offsets, transaction
markers) never block. A partition's offsets must arrive in increasing order, as Kafka delivers
them; that keeps them a sorted queue (amortised O(1) per message) and the watermark monotonic.

Revocation. ``revoke`` drops the partitions' queued works (returned, never started) and forgets
their offsets at once: ``committable`` never names them again until they are added anew. Their
in-flight works stay in flight: they keep their keys busy (so a redelivered message of the same key
waits behind them) and count in ``in_flight`` and ``pending_in``; ``done`` on them frees the key
and records no offset. Commit what ``committable`` reports before revoking; a work finishing after
its partition was revoked is redelivered to the next owner, whose ledger makes it a no-op.

Generations. Each partition's assignment has a generation, bumped by ``revoke`` (a revoke or a loss):
a work carries the generation it was polled in, and ``current`` says whether that one is still held.
The loop fences a gone generation's works (``sync_core.fencing``) so that none of them writes after
the partition has left; ``done`` on an abandoned one frees its key, as for any revoked work.

Copies. ``Copies`` keeps the copies of one event (one event id, delivered twice) from running at once:
a copy polled while an earlier one is pending waits until that one is done or dropped, and its poll-time
ledger answer is stale by then, so it asks again (and is a duplicate, unless the first was abandoned).
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

Partition = tuple[str, int]


@dataclass(frozen=True, slots=True)
class Work:
    """One polled message: where it sits, what orders it, and what the loop carries with it."""

    topic: str
    partition: int
    offset: int
    key: str | None  # None: no ordering constraint
    payload: Any = None  # the loop's own record of the message (a Delivery); never read here
    generation: int = 0  # of its partition's assignment when it was polled (``WorkTracker.generation``)
    event_id: str | None = None  # copies of one event never run at once (``Copies``)

    @property
    def tp(self) -> Partition:
        """The (topic, partition) the work came from."""
        return (self.topic, self.partition)

    def __str__(self) -> str:
        # Names the message by position only: the payload may carry personal data.
        return f"{self.topic}[{self.partition}]@{self.offset}"


@dataclass(slots=True)
class _Offsets:
    """One partition's watermark state."""

    next: int  # one past the last added offset
    reported: int  # the watermark committable() last handed out (the first offset: nothing to commit yet)
    pending: dict[int, Work] = field(default_factory=dict)  # added, not done
    queued: int = 0  # how many of the pending wait behind their key
    order: deque[int] = field(default_factory=deque)  # added offsets, sorted; done ones trimmed lazily

    def add(self, work: Work) -> None:
        """Track a newly polled offset."""
        if work.offset < self.next:
            raise ValueError(f"{work} arrived after offset {self.next - 1}: revoke the partition before seeking back")
        self.pending[work.offset] = work
        self.order.append(work.offset)
        self.next = work.offset + 1

    def watermark(self) -> int:
        """The lowest added offset not done, else one past the last added."""
        order, pending = self.order, self.pending
        while order and order[0] not in pending:
            order.popleft()  # each offset leaves once: amortised O(1)
        return order[0] if order else self.next


class WorkTracker:
    """Decides which works may start and how far each partition may commit; see the module docstring."""

    def __init__(self) -> None:
        self._lanes: dict[str, deque[Work]] = {}  # key -> its running work, then those queued behind it
        self._offsets: dict[Partition, _Offsets] = {}
        self._changed: set[Partition] = set()  # partitions whose watermark may have moved since committable()
        self._orphans: dict[int, Work] = {}  # id -> in-flight work of a revoked partition (the ref keeps the id unique)
        self._orphaned: Counter[Partition] = Counter()
        self._generations: Counter[Partition] = Counter()  # bumped by each revoke; 0 until the first
        self._in_flight = 0
        self._queued = 0

    @property
    def in_flight(self) -> int:
        """Works started and not yet done."""
        return self._in_flight

    @property
    def queued(self) -> int:
        """Works waiting behind an earlier work of their key."""
        return self._queued

    @property
    def pending(self) -> int:
        """Works not yet done: in flight or queued."""
        return self._in_flight + self._queued

    def assign(self, partitions: Iterable[Partition]) -> None:
        """Nothing to do: a partition's state is made by its first ``add``."""

    def generation(self, tp: Partition) -> int:
        """The partition's current generation: the one its newly polled works belong to."""
        return self._generations[tp]

    def current(self, work: Work) -> bool:
        """True while the generation the work was polled in is its partition's current one."""
        return work.generation == self._generations[work.tp]

    def add(self, work: Work) -> list[Work]:
        """Register a polled message; returns it if it may start now, else nothing (it queues behind its key)."""
        offsets = self._track(work)
        if work.key is not None:
            lane = self._lanes.get(work.key)
            if lane is not None:
                lane.append(work)
                offsets.queued += 1
                self._queued += 1
                return []
            self._lanes[work.key] = deque((work,))
        self._in_flight += 1
        return [work]

    def done(self, work: Work) -> list[Work]:
        """A started work finished; returns the next work of its key, if one was waiting."""
        if work.key is None:
            self._finish(work)
            return []
        lane = self._lane_of(work.key, work)  # checked before anything changes: a bad call leaves no trace
        self._finish(work)
        return self._advance(work.key, lane)

    def committable(self) -> dict[Partition, int]:
        """The offsets to commit: each partition's watermark, for those whose watermark moved since the last call."""
        moved: dict[Partition, int] = {}
        for tp in self._changed:
            offsets = self._offsets[tp]
            mark = offsets.watermark()
            if mark != offsets.reported:
                offsets.reported = moved[tp] = mark
        self._changed.clear()
        return moved

    def pending_in(self, partitions: Iterable[Partition]) -> int:
        """Works of these partitions not yet done, counting in-flight works of revoked ones."""
        total = 0
        for tp in partitions:
            offsets = self._offsets.get(tp)
            total += self._orphaned[tp] + (len(offsets.pending) if offsets else 0)
        return total

    def queued_behind(self, key: str) -> int:
        """Works of this key waiting behind its running one."""
        lane = self._lanes.get(key)
        return len(lane) - 1 if lane else 0

    def queued_in(self, partitions: Iterable[Partition]) -> int:
        """Works of these partitions waiting behind their key (so ``pending_in - queued_in`` are in flight)."""
        return sum(offsets.queued for tp in partitions if (offsets := self._offsets.get(tp)))

    def revoke(self, partitions: Iterable[Partition]) -> list[Work]:
        """Partitions taken away: returns their queued works (dropped, never started), forgets their offsets
        and starts their next generation."""
        partitions = set(partitions)
        self._generations.update(partitions)
        gone = {tp for tp in partitions if tp in self._offsets}
        if not gone:
            return []
        dropped = self._drop_queued(gone)
        dropped_ids = {id(work) for work in dropped}
        for tp in gone:
            self._changed.discard(tp)
            for work in self._offsets.pop(tp).pending.values():
                if id(work) not in dropped_ids:  # in flight: done() will come, and must find it
                    self._orphans[id(work)] = work
                    self._orphaned[tp] += 1
        return dropped

    def _track(self, work: Work) -> _Offsets:
        offsets = self._offsets.get(work.tp)
        if offsets is None:
            offsets = self._offsets[work.tp] = _Offsets(next=work.offset, reported=work.offset)
        if not offsets.pending:  # a higher pending offset never moves the watermark; the first one after a gap does
            self._changed.add(work.tp)
        offsets.add(work)
        return offsets

    def _lane_of(self, key: str, work: Work) -> deque[Work]:
        lane = self._lanes.get(key)
        if lane is None or lane[0] is not work:
            raise ValueError(f"{work} is not in flight")
        return lane

    def _finish(self, work: Work) -> None:
        self._untrack(work)
        self._in_flight -= 1

    def _untrack(self, work: Work) -> None:
        if self._orphans and self._orphans.get(id(work)) is work:
            del self._orphans[id(work)]
            self._orphaned[work.tp] -= 1
            if not self._orphaned[work.tp]:
                del self._orphaned[work.tp]
            return
        offsets = self._offsets.get(work.tp)
        if offsets is None or offsets.pending.get(work.offset) is not work:
            raise ValueError(f"{work} is not in flight")
        del offsets.pending[work.offset]
        self._changed.add(work.tp)

    def _advance(self, key: str, lane: deque[Work]) -> list[Work]:
        lane.popleft()
        if not lane:
            del self._lanes[key]  # an idle key keeps no state: keys are unbounded
            return []
        started = lane[0]
        self._offsets[started.tp].queued -= 1  # a queued work's partition is tracked: revoke drops its queue
        self._queued -= 1
        self._in_flight += 1
        return [started]

    def _drop_queued(self, gone: set[Partition]) -> list[Work]:
        dropped: list[Work] = []
        for lane in self._lanes.values():
            waiting = list(islice(lane, 1, None))  # lane[0] is running: never dropped
            keep = [work for work in waiting if work.tp not in gone]
            if len(keep) < len(waiting):
                dropped.extend(work for work in waiting if work.tp in gone)
                running = lane[0]
                lane.clear()
                lane.append(running)
                lane.extend(keep)
        self._queued -= len(dropped)
        return sorted(dropped, key=lambda work: (work.topic, work.partition, work.offset))


class Copies:
    """The pending works of each event id: the one that carries it, and the later copies waiting for it.

    Works without an event id are never copies.
    """

    def __init__(self) -> None:
        self._carrier: dict[str, Work] = {}
        self._waiting: dict[str, deque[Work]] = {}

    def pending(self, event_id: str | None) -> bool:
        """True while a work of this event id is pending: one polled now is a copy."""
        return event_id is not None and event_id in self._carrier

    def arrive(self, work: Work) -> None:
        """A work was polled: the first pending one of its event id carries it."""
        if work.event_id is not None:
            self._carrier.setdefault(work.event_id, work)

    def may_start(self, work: Work) -> bool:
        """False when another copy of the event is pending: the work waits, and ``done`` hands it back."""
        event_id = work.event_id
        if event_id is None or self._carrier.setdefault(event_id, work) is work:
            return True
        self._waiting.setdefault(event_id, deque()).append(work)
        return False

    def done(self, work: Work) -> Work | None:
        """The work is done or dropped; returns the next copy of its event, which may start now."""
        event_id = work.event_id
        if event_id is None or self._carrier.get(event_id) is not work:
            return None
        del self._carrier[event_id]
        waiting = self._waiting.get(event_id)
        if not waiting:
            return None
        copy = self._carrier[event_id] = waiting.popleft()
        if not waiting:
            del self._waiting[event_id]
        return copy
