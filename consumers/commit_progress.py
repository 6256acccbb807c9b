"""How far each partition commits, and how old its oldest unfinished work is: what shows a wedged partition.

The consume loop's poll thread feeds it (``polled`` after each fetch, ``stored`` with the offsets it
stores, ``left`` on a revoke) and takes a ``snapshot`` at most every second; other threads (metrics,
the heartbeat) read only that frozen snapshot, since the bookkeeping itself is the poll thread's.

Per partition: ``commit_at`` is the offset the member commits at (its lowest unfinished event, stored
for the auto-commit, which follows within a second), ``oldest_s`` how long the work at that offset has
been pending since it was polled (batch accuracy), and ``stuck_s`` how long the commit point has not
moved while work is pending: the smaller of ``oldest_s`` and the time since it last moved. A backlog
that drains keeps ``stuck_s`` small while ``oldest_s`` grows; a wedged event grows both. With nothing
pending, both are 0.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

Partition = tuple[str, int]


@dataclass(frozen=True)
class PartitionProgress:
    """One partition's commit point and how long its work has waited (seconds)."""

    commit_at: int
    pending: int
    oldest_s: float
    stuck_s: float


@dataclass
class _Mark:
    commit_at: int
    moved_at: float
    batches: deque[tuple[int, float]]  # (first offset polled in a batch, when), oldest first


class CommitProgress:
    """The poll thread's record of each tracked partition; see the module docstring."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._marks: dict[Partition, _Mark] = {}
        self.last: Mapping[Partition, PartitionProgress] = {}  # the latest snapshot, for other threads

    def polled(self, firsts: Mapping[Partition, int]) -> None:
        """A fetch brought these partitions' messages, starting at these offsets."""
        now = self._clock()
        for tp, offset in firsts.items():
            mark = self._marks.get(tp)
            if mark is None:  # the first offset polled is where it commits until that work is done
                mark = self._marks[tp] = _Mark(offset, now, deque())
            mark.batches.append((offset, now))

    def stored(self, offsets: Mapping[Partition, int]) -> None:
        """The loop stored these offsets for the commit."""
        now = self._clock()
        for tp, offset in offsets.items():
            if (mark := self._marks.get(tp)) is not None and offset != mark.commit_at:
                mark.commit_at, mark.moved_at = offset, now

    def left(self, partitions: Iterable[Partition]) -> None:
        """Partitions revoked or lost: forgotten until polled again."""
        for tp in partitions:
            self._marks.pop(tp, None)

    def snapshot(self, pending: Callable[[Partition], int]) -> Mapping[Partition, PartitionProgress]:
        """Each tracked partition's progress now (``pending``: its unfinished works), kept as ``last``."""
        now = self._clock()
        self.last = {tp: self._progress(mark, pending(tp), now) for tp, mark in sorted(self._marks.items())}
        return self.last

    @staticmethod
    def _progress(mark: _Mark, pending: int, now: float) -> PartitionProgress:
        batches = mark.batches
        if not pending:
            batches.clear()  # the next fetch starts a new oldest batch
            return PartitionProgress(mark.commit_at, 0, 0.0, 0.0)
        while len(batches) > 1 and batches[1][0] <= mark.commit_at:
            batches.popleft()  # that batch's works are all done
        oldest = now - batches[0][1] if batches else 0.0
        return PartitionProgress(mark.commit_at, pending, oldest, min(oldest, now - mark.moved_at))
