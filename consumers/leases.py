"""Partition generations as the consume loop holds them: a fence and fenced ports for each partition polled from.

A lease is one generation of one assigned partition (``WorkTracker.generation`` numbers them): made by
the first poll from the partition after it was assigned, ended when it is revoked or lost, or the
loop stops. Its works run on the pipeline's ports fenced by it (``PipelinePorts.fenced``), so once
``end`` sets the fence they abandon every wait, make no SA write and record nothing
(``sync_core.fencing``). The loop counts the works out with its workers per partition, so a revoke
can wait until none of a gone generation is still running: only then may the next owner start.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from consumers.ordering import Partition
from sync_core.fencing import Fence
from sync_core.pipeline.process import PipelinePorts


@dataclass(frozen=True)
class Lease:
    """One generation of one partition: the fence its works check, and the ports fenced by it."""

    fence: Fence
    ports: PipelinePorts


class Leases:
    """The current lease of each partition, and how many of its works are with the workers.

    Used from the loop's poll thread only.
    """

    def __init__(self, ports: PipelinePorts) -> None:
        self._ports = ports
        self._held: dict[Partition, Lease] = {}
        self._out: Counter[Partition] = Counter()
        self._ended = Fence()
        self._ended.set()

    def of(self, tp: Partition, *, current: bool = True) -> Lease:
        """The partition's current lease, made now if it has none (its first start since it was assigned);
        for a work of a generation that is gone (not ``current``), an ended one."""
        if not current:
            return Lease(self._ended, self._ports)
        lease = self._held.get(tp)
        if lease is None:
            fence = Fence()
            lease = self._held[tp] = Lease(fence, self._ports.fenced(fence))
        return lease

    def end(self, partitions: Iterable[Partition]) -> None:
        """The partitions left: fence their generations; a later poll of one starts a new lease."""
        for tp in partitions:
            lease = self._held.pop(tp, None)
            if lease is not None:
                lease.fence.set()

    def end_all(self) -> None:
        """The loop stops: fence every generation."""
        self.end(list(self._held))

    def handed_out(self, tp: Partition) -> None:
        """A work of the partition went to the workers."""
        self._out[tp] += 1

    def handed_back(self, tp: Partition) -> None:
        """A work of the partition came back from the workers (done, abandoned or stopped)."""
        self._out[tp] -= 1
        if self._out[tp] <= 0:
            del self._out[tp]

    def out_in(self, partitions: Iterable[Partition]) -> int:
        """Works of these partitions with the workers (running or queued for one)."""
        return sum(self._out[tp] for tp in partitions)
