"""The consumer's heartbeat: a thread that writes a running loop's state to ``sync.consumer_heartbeats``.

SA's circuit breaker, the unfinished work and each partition's commit point (how long it has not
moved while work waits: ``consumers.commit_progress``) live only inside the consumer process; every
few seconds this thread copies them to the database, where ``pics-sync status`` reads them. It reads
the poll thread's copies and never the Kafka consumer: a consumer's methods called from another thread
wait until its polling thread stops polling (status asks the group coordinator which partitions
each member owns). A row that stops moving is a consumer that died; ``stop`` marks a
clean stop. A failed write is logged and tried again at the next beat: the heartbeat never stops
the consumer.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

import structlog
from psycopg_pool import ConnectionPool

from consumers.metrics import state_of
from sync_core.logs import message_of
from sync_core.state.heartbeats import Beat, Heartbeats, PartitionBeat

if TYPE_CHECKING:
    from consumers.loop import ParallelLoop

log = structlog.get_logger("pics_sync.heartbeat")
INTERVAL_S = 5.0
_PRUNE_AFTER = timedelta(days=7)  # rows of consumers gone this long are deleted when the next one starts


def member_id(index: int | None = None) -> str:
    """This process: host (the pod's name in Kubernetes), its member index under ``run --processes N``
    (``member-2``), pid, and a random part since pids repeat."""
    member = "" if index is None else f"member-{index}/"
    return f"{socket.gethostname()}/{member}{os.getpid()}/{uuid.uuid4().hex[:6]}"


def snapshot(loop: ParallelLoop, member: str, group: str, side: str) -> Beat:
    """The loop's state as the heartbeat reports it: every assigned partition, with its commit point."""
    progress = loop.partition_progress
    partitions = []
    for tp in sorted(set(state_of(loop.consumer).lags) | set(progress)):
        mark = progress.get(tp)
        partitions.append(
            PartitionBeat(*tp, None)
            if mark is None
            else PartitionBeat(*tp, mark.commit_at, mark.pending, round(mark.oldest_s, 1), round(mark.stuck_s, 1))
        )
    return Beat(member, group, side, loop.breaker.state.value, loop.tracker.pending, tuple(partitions))


class HeartbeatWriter:
    """Writes ``beat()`` every ``interval`` seconds on a daemon thread until ``stop``."""

    def __init__(self, heartbeats: Heartbeats, beat: Callable[[], Beat], interval: float = INTERVAL_S) -> None:
        self._heartbeats, self._beat, self._interval = heartbeats, beat, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
        self.member_id: str | None = None

    def start(self) -> HeartbeatWriter:
        """Start beating; the first beat is written at once."""
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop beating and mark the row stopped, so status tells a clean stop from a dead consumer."""
        self._stop.set()
        self._thread.join(timeout)
        if self.member_id is not None:
            self._safely(lambda: self._heartbeats.stopped(str(self.member_id)))

    def _run(self) -> None:
        self._safely(lambda: self._heartbeats.prune(_PRUNE_AFTER))
        while True:
            self._safely(self._write)
            if self._stop.wait(self._interval):
                return

    def _write(self) -> None:
        beat = self._beat()
        self._heartbeats.beat(beat)
        self.member_id = beat.member_id

    @staticmethod
    def _safely(action: Callable[[], object]) -> None:
        try:
            action()
        except Exception as failed:  # a monitor must never take the consumer down
            log.warning("consumer.heartbeat_failed", error=type(failed).__name__, reason=message_of(failed))


def start_heartbeat(
    pool: ConnectionPool,
    loop: ParallelLoop,
    *,
    group: str,
    side: str,
    interval: float = INTERVAL_S,
    index: int | None = None,
) -> HeartbeatWriter:
    """Start writing ``loop``'s heartbeat as a member of ``group`` on ``side`` (push or pull); ``index``: its
    place among the members one ``run --processes N`` started."""
    member = member_id(index)
    return HeartbeatWriter(Heartbeats(pool), lambda: snapshot(loop, member, group, side), interval).start()
