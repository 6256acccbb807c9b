"""Backpressure and the circuit breaker as the consume loop applies them: which partitions are paused.

Fetching pauses while too much work is pending or SA's circuit is open, and resumes once the work has
halved and the circuit is no longer open. A partition's pause lives in librdkafka's state for that
partition and outlasts a revoke: a partition that was paused when it left is still paused when the group
hands it back, and would never be fetched again (a member of the group-membership scenario sat idle with a
backlog so). So each newly assigned partition is set to the loop's state: paused while the loop is
paused, resumed otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable

import structlog

from consumers.kafka import consumer as kafka
from consumers.kafka.consumer import Consumer, Partition
from sync_core.smart_assessor.circuit import State

log = structlog.get_logger("pics_sync.runtime")


class Flow:
    """The paused partitions of one consumer. Used from its poll thread only (its callbacks included)."""

    def __init__(self, consumer: Consumer, max_pending: int) -> None:
        self._consumer = consumer
        self._max_pending = max_pending
        self._paused: list[Partition] = []
        self._arrived: list[Partition] = []  # assigned by the poll running now: set once it has returned

    @property
    def paused(self) -> bool:
        return bool(self._paused)

    def assigned(self, partitions: Iterable[Partition]) -> None:
        """Partitions are being assigned (the rebalance callback): ``adjust`` sets them after the poll."""
        self._arrived.extend(partitions)

    def left(self, partitions: Iterable[Partition]) -> None:
        """Partitions were revoked or lost: no longer ours to pause or resume."""
        gone = set(partitions)
        self._paused = [tp for tp in self._paused if tp not in gone]
        self._arrived = [tp for tp in self._arrived if tp not in gone]

    def adjust(self, pending: int, circuit: State) -> None:
        """Set newly assigned partitions to the loop's state, then pause or resume all as the work says."""
        if self._arrived:
            arrived, self._arrived = self._arrived, []
            if self._paused:
                self._paused += kafka.pause(self._consumer, arrived)
            else:
                kafka.resume(self._consumer, arrived)
        should_pause = pending > self._max_pending or circuit is State.OPEN
        if should_pause and not self._paused:
            self._paused = kafka.pause(self._consumer)
            log.info("consumer.paused", pending=pending, circuit=circuit.value)
        elif self._paused and not should_pause and pending <= self._max_pending // 2:
            kafka.resume(self._consumer, self._paused)
            self._paused = []
            log.info("consumer.resumed", pending=pending)
