"""A few independent SA reads made at the same time, not one after another.

A refresh (R1) reads the learner's SA records to compare them (learner, enrolments, employer,
assessors) and then the items it pulls (progress, sessions, OTJ hours, risk): some nine calls of
20 ms or more each, in turn about 300 ms of someone's wait for a manual refresh, and the tail of the
push consumer's latency. Read at once they cost about the slowest one. The threads are kept (one
set per service), so a refresh starts none; SA's cap on calls at once still holds, since every
call goes through the one client.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
THREADS = 16  # reads in flight for all refreshes at once; a refresh makes up to about five at a time


class AtOnce:
    """Starts reads on threads kept for them; ``close`` ends the threads."""

    def __init__(self, threads: int = THREADS) -> None:
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="sa-read")

    def started(self, reads: Mapping[str, Callable[[], T]]) -> dict[str, Callable[[], T]]:
        """Start every read; each name's callable waits for its answer (or raises its error). Once closed (the
        service is stopping), the reads are made in turn, as without it."""
        try:
            return {name: self._pool.submit(read).result for name, read in reads.items()}
        except RuntimeError:  # "cannot schedule new futures after shutdown"
            return in_turn(reads)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def in_turn(reads: Mapping[str, Callable[[], T]]) -> dict[str, Callable[[], T]]:
    """``AtOnce.started``'s shape with nothing started: each read is made when its answer is asked for."""
    return dict(reads)
