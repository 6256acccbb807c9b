"""Key-ordered parallel work: keys run in arrival order, partitions commit only below their lowest unfinished offset."""

from __future__ import annotations

import random
from collections import defaultdict, deque
from collections.abc import Callable

import pytest

from consumers.ordering import Copies, Partition, Work, WorkTracker

TP: Partition = ("pics.learner", 0)


def work(offset: int, key: str | None = "L1", partition: int = 0) -> Work:
    """A fake polled message; the payload is never read by the tracker."""
    return Work("pics.learner", partition, offset, key, payload=f"delivery-{offset}")


def test_same_key_waits_and_starts_on_done_in_order() -> None:
    """A key's later works queue behind its running one and start one at a time, in arrival order."""
    tracker = WorkTracker()
    first, second, third = work(0), work(1), work(2)
    assert tracker.add(first) == [first]
    assert tracker.add(second) == []
    assert tracker.add(third) == []
    assert tracker.done(first) == [second]
    assert tracker.done(second) == [third]
    assert tracker.done(third) == []
    assert tracker.add(fourth := work(3)) == [fourth]  # the drained key is free again


def test_queued_behind_counts_a_keys_waiting_works() -> None:
    """The loop asks it whether anything of a key still waits (so a key that parked may be forgotten)."""
    tracker = WorkTracker()
    first, second = work(0), work(1)
    assert tracker.queued_behind("L1") == 0
    tracker.add(first)
    tracker.add(second)
    tracker.add(work(2, key="L2"))
    assert (tracker.queued_behind("L1"), tracker.queued_behind("L2")) == (1, 0)
    tracker.done(first)
    assert tracker.queued_behind("L1") == 0


@pytest.mark.parametrize(
    "keys",
    [
        pytest.param(["L1", "L2", "L3"], id="different-keys-start-at-once"),
        pytest.param([None, None, None], id="none-key-never-waits"),
        pytest.param(["L1", None, "L2", None], id="mixed"),
    ],
)
def test_works_start_at_once_when_their_key_is_idle(keys: list[str | None]) -> None:
    """Works of different keys, or with no key, start as soon as they are added."""
    tracker = WorkTracker()
    works = [work(offset, key) for offset, key in enumerate(keys)]
    assert [tracker.add(each) for each in works] == [[each] for each in works]
    assert (tracker.in_flight, tracker.queued) == (len(works), 0)


@pytest.mark.parametrize(
    ("offsets", "done", "expected"),
    [
        pytest.param([0, 1, 2], [], {}, id="nothing-done-nothing-to-commit"),
        pytest.param([0, 1, 2], [1, 2], {}, id="done-out-of-order-waits-for-lowest"),
        pytest.param([0, 1, 2], [0, 2], {TP: 1}, id="stops-at-first-unfinished"),
        pytest.param([0, 1, 2], [2, 1, 0], {TP: 3}, id="all-done-commits-past-last"),
        pytest.param([5, 9, 20], [5], {TP: 9}, id="gap-skipped-to-next-added"),
        pytest.param([5, 9, 20], [5, 9, 20], {TP: 21}, id="gaps-do-not-block"),
    ],
)
def test_committable_never_passes_an_unfinished_offset(
    offsets: list[int], done: list[int], expected: dict[Partition, int]
) -> None:
    """The offset to commit is the lowest added offset not done, or one past the last when all are done."""
    tracker = WorkTracker()
    works = {offset: work(offset, key=f"L{offset}") for offset in offsets}
    for each in works.values():
        tracker.add(each)
    for offset in done:
        tracker.done(works[offset])
    assert tracker.committable() == expected


def test_committable_reports_only_partitions_that_moved() -> None:
    """A second call reports nothing new; a done that leaves the watermark where it was reports nothing."""
    tracker = WorkTracker()
    a0, a1, b0 = work(0, "A", partition=0), work(1, "B", partition=0), work(0, "C", partition=1)
    for each in (a0, a1, b0):
        tracker.add(each)
    tracker.done(b0)
    assert tracker.committable() == {("pics.learner", 1): 1}
    assert tracker.committable() == {}
    tracker.done(a1)
    assert tracker.committable() == {}
    tracker.done(a0)
    assert tracker.committable() == {TP: 2}


def test_offsets_must_arrive_in_increasing_order() -> None:
    """Seeking back without a revoke is refused, as it would move the watermark backwards."""
    tracker = WorkTracker()
    tracker.add(work(5))
    with pytest.raises(ValueError, match=r"pics.learner\[0\]@3"):
        tracker.add(work(3, key="L2"))


@pytest.mark.parametrize(
    "pick",
    [
        pytest.param(lambda queued: queued, id="queued-work"),
        pytest.param(lambda queued: work(99), id="never-added"),
        pytest.param(lambda queued: work(99, key=None), id="never-added-no-key"),
    ],
)
def test_done_refuses_a_work_not_in_flight(pick: Callable[[Work], Work]) -> None:
    """Finishing a work that never started raises and changes nothing."""
    tracker = WorkTracker()
    queued = work(1)
    tracker.add(work(0))
    tracker.add(queued)
    with pytest.raises(ValueError, match="not in flight"):
        tracker.done(pick(queued))
    assert (tracker.in_flight, tracker.queued) == (1, 1)


def test_counts_follow_adds_and_dones() -> None:
    """in_flight, queued, pending, pending_in and queued_in count works not yet done."""
    tracker = WorkTracker()
    running, waiting, other = work(0, "A"), work(1, "A"), work(0, None, partition=1)
    for each in (running, waiting, other):
        tracker.add(each)
    assert (tracker.in_flight, tracker.queued, tracker.pending) == (2, 1, 3)
    assert (tracker.pending_in([TP]), tracker.queued_in([TP])) == (2, 1)
    assert tracker.pending_in([("pics.learner", 1), ("elsewhere", 0)]) == 1
    tracker.done(running)
    assert (tracker.in_flight, tracker.queued, tracker.pending) == (2, 0, 2)
    assert (tracker.pending_in([TP]), tracker.queued_in([TP])) == (1, 0)


def test_revoke_drops_queued_works_and_keeps_in_flight_ones_harmless() -> None:
    """Revoking returns the queued works; a later done() of an in-flight one frees its key but commits nothing."""
    tracker = WorkTracker()
    running, behind, other_partition = work(0, "A"), work(1, "A"), work(0, "B", partition=1)
    for each in (running, behind, other_partition):
        tracker.add(each)
    assert tracker.revoke([TP]) == [behind]
    assert (tracker.in_flight, tracker.queued, tracker.pending_in([TP]), tracker.queued_in([TP])) == (2, 0, 1, 0)
    assert tracker.done(running) == []
    assert tracker.committable() == {}
    assert tracker.pending_in([TP]) == 0
    assert tracker.add(again := work(1, "A")) == [again]  # the key is free again


def test_redelivered_work_waits_behind_its_revoked_in_flight_twin() -> None:
    """After a partition comes back, a redelivered message waits for the old in-flight copy of its key."""
    tracker = WorkTracker()
    old, new = work(7, "A"), work(7, "A")
    tracker.add(old)
    tracker.revoke([TP])
    assert tracker.add(new) == []
    assert tracker.done(old) == [new]
    tracker.done(new)
    assert tracker.committable() == {TP: 8}


def test_revoke_keeps_queued_works_of_other_partitions() -> None:
    """Only the revoked partitions' queued works are dropped; the key's other works still start in order."""
    tracker = WorkTracker()
    works = [work(0, "A", 0), work(0, "A", 1), work(1, "A", 0), work(1, "A", 1)]
    for each in works:
        tracker.add(each)
    assert tracker.revoke([TP, ("never", 0)]) == [works[2]]
    assert tracker.done(works[0]) == [works[1]]
    assert tracker.done(works[1]) == [works[3]]
    assert tracker.done(works[3]) == []
    assert tracker.committable() == {("pics.learner", 1): 2}


class Simulation:
    """Drives a tracker with random polls, completions and revocations, checking its promises as it goes."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.tracker = WorkTracker()
        self.next_offset: dict[Partition, int] = defaultdict(int)
        self.live: dict[Partition, dict[int, Work]] = defaultdict(dict)  # this generation's unfinished works
        self.committed: dict[Partition, int] = {}
        self.running: list[Work] = []
        self.busy: set[str] = set()
        self.unstarted: dict[str, deque[Work]] = defaultdict(deque)  # per key, in arrival order
        self.dropped = 0

    def poll(self) -> None:
        """Add a message at the partition's next offset, sometimes past a gap."""
        tp = ("t", self.rng.randrange(3))
        key = self.rng.choice(["A", "B", "C", "D", "E", None])
        item = Work(*tp, self.next_offset[tp], key, payload=self.rng.random())  # unique: equal means same
        self.next_offset[tp] += self.rng.choice([1, 1, 1, 3])
        self.live[tp][item.offset] = item
        if key is not None:
            self.unstarted[key].append(item)
        self.start(self.tracker.add(item))

    def finish(self) -> None:
        """Complete a random running work."""
        item = self.running.pop(self.rng.randrange(len(self.running)))
        if item.key is not None:
            self.busy.discard(item.key)
        if self.live[item.tp].get(item.offset) is item:
            del self.live[item.tp][item.offset]
        self.start(self.tracker.done(item))

    def revoke(self) -> None:
        """Take a partition away and hand it back from its last commit, as a rebalance does."""
        tp = ("t", self.rng.randrange(3))
        for item in self.tracker.revoke([tp]):
            assert item.key is not None  # only keyed works ever queue
            self.unstarted[item.key].remove(item)
            self.dropped += 1
        self.live.pop(tp, None)
        self.next_offset[tp] = self.committed.pop(tp, self.next_offset[tp])

    def start(self, items: list[Work]) -> None:
        """Record starts, checking a key never runs twice at once and starts its works in arrival order."""
        for item in items:
            if item.key is not None:
                assert item.key not in self.busy
                assert self.unstarted[item.key].popleft() is item
                self.busy.add(item.key)
            self.running.append(item)

    def check(self) -> None:
        """Counts match the simulation; commits only rise, and stay at or below the lowest unfinished offset."""
        waiting = [item for items in self.unstarted.values() for item in items]
        assert (self.tracker.in_flight, self.tracker.queued) == (len(self.running), len(waiting))
        tp = ("t", self.rng.randrange(3))
        assert self.tracker.queued_in([tp]) == sum(item.tp == tp for item in waiting)
        assert self.tracker.pending_in([tp]) == sum(item.tp == tp for item in self.running + waiting)
        for tp, offset in self.tracker.committable().items():
            assert offset > self.committed.get(tp, -1)
            assert offset <= min(self.live[tp], default=offset)
            self.committed[tp] = offset


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_completion_order_keeps_key_order_and_a_safe_watermark(seed: int) -> None:
    """Over thousands of random operations, key order and the commit watermark hold."""
    sim = Simulation(seed)
    for _ in range(4000):
        roll = sim.rng.random()
        if roll < 0.01:
            sim.revoke()
        elif roll < 0.55 or not sim.running:
            sim.poll()
        else:
            sim.finish()
        sim.check()
    while sim.running:
        sim.finish()
    sim.check()
    assert sim.tracker.pending == 0
    assert sim.dropped and len(sim.committed) == 3  # the run did exercise revocation and commits
    assert all(not works for works in sim.live.values())


def test_a_revoke_starts_the_partitions_next_generation() -> None:
    """A work polled before its partition was revoked (or lost) is of a gone generation; the next poll's are
    current again; other partitions keep theirs."""
    tracker = WorkTracker()
    before, elsewhere = work(0, "A"), work(0, "B", partition=1)
    tracker.add(before)
    tracker.add(elsewhere)
    assert tracker.current(before) and tracker.generation(TP) == 0
    tracker.revoke([TP, ("never", 0)])
    assert not tracker.current(before) and tracker.current(elsewhere)
    after = Work(*TP, 0, "A", generation=tracker.generation(TP))
    assert tracker.generation(TP) == 1 and tracker.current(after)


def copy_of(event_id: str, offset: int, key: str | None = "L1") -> Work:
    return Work("pics.learner", 0, offset, key, event_id=event_id)


def test_a_copy_of_a_pending_event_waits_for_it_then_the_next_copy_carries_it() -> None:
    """Copies of one event id run one after another: the first polled carries it; a later one is a copy,
    which waits if it is ready first, and carries the id once that one is done or dropped."""
    copies = Copies()
    first, second, third, other = copy_of("e1", 0), copy_of("e1", 5, key=None), copy_of("e1", 9), copy_of("e2", 1)
    assert not copies.pending("e1") and not copies.pending(None)
    copies.arrive(first)
    assert copies.pending("e1") and not copies.pending("e2")
    copies.arrive(other)
    assert copies.may_start(first) and copies.may_start(other)
    assert not copies.may_start(second)  # keyless, so ready at once: it waits for the first
    assert copies.done(other) is None
    copies.arrive(third)  # a copy: arriving changes nothing
    assert copies.done(first) is second  # hands over to the waiting copy
    assert not copies.may_start(third) and copies.may_start(second)
    assert copies.done(second) is third
    assert copies.done(third) is None and not copies.pending("e1")


def test_works_without_an_event_id_are_never_copies() -> None:
    """Bytes whose event id cannot be read are no one's copy, and wait for no one."""
    copies, lone = Copies(), work(0, None)
    copies.arrive(lone)
    assert copies.may_start(lone) and copies.done(lone) is None
