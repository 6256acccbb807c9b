"""Writes in doubt: a call that timed out on our side may still be applied by SA, later.

A PATCH we gave up on can land after our retry and after the learner's next event, leaving SA
with older values; a POST we gave up on can land after our retry searched and found nothing,
leaving two records. So a timed-out write is remembered until ``window_s`` has passed (the
longest SA may take to apply a call it received):
- an update that succeeds while an earlier copy may still land waits the window out and writes
  again, so the last write SA applies is ours (the key's later events wait behind it, in order);
- a create waits the window out before it searches SA again, so a late create is found, not
  repeated (U10).
Held in memory: a process that dies inside a window forgets its doubts (README, known limits).
A wait ends early when the process stops (``stop``) or, for the consume loop's view of the doubts
(``fenced``), when the work's partition generation is gone: that work is abandoned, not recorded.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable

from sync_core.errors import TransientError
from sync_core.fencing import Abandoned, Fence


class InDoubtWrites:
    """The SA resources with a write that timed out, and until when it may still land."""

    def __init__(self, window_s: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.window_s = window_s
        self._clock = clock
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._fence: Fence | None = None  # set in a ``fenced`` view: its waits end when the fence is set

    def fenced(self, fence: Fence) -> InDoubtWrites:
        """The same doubts, whose waits end with ``Abandoned`` once ``fence`` is set (a consume loop's
        generation of a partition: revoked, lost or stopping)."""
        view = copy.copy(self)  # shares the doubts, their lock and the stop event
        view._fence = fence
        return view

    def timed_out(self, resource: str) -> None:
        """A write to ``resource`` timed out just now: SA may apply it up to ``window_s`` from now."""
        if self.window_s <= 0:
            return
        with self._lock:
            self._until[resource] = max(self._until.get(resource, 0.0), self._clock() + self.window_s)

    def now(self) -> float:
        """The clock ``written_at`` is read from."""
        return self._clock()

    def wait_out(self, resource: str, *, written_at: float | None = None) -> bool:
        """Wait until no earlier write to ``resource`` can still land.

        After a write that started at ``written_at`` succeeded: True when an earlier copy may have
        landed after it (write again). Before a create (no ``written_at``): True when one was in doubt.
        Raises TransientError when the process stops meanwhile, and ``Abandoned`` when the fence of
        a ``fenced`` view is set, so the event is not recorded.
        """
        with self._lock:
            until = self._until.pop(resource, None)
        if until is None:
            return False
        remaining = until - self._clock()
        if remaining > 0 and self._interrupted(remaining):
            with self._lock:  # still in doubt: whoever processes the event next must wait it out too
                self._until[resource] = max(self._until.get(resource, 0.0), until)
            if self._fence is not None and self._fence.is_set():
                raise Abandoned
            raise TransientError("stopped while an earlier write to SA could still land")
        return written_at is None or written_at < until

    def _interrupted(self, seconds: float) -> bool:
        """Wait ``seconds``; True when the process stopped, or this view's fence was set, meanwhile."""
        if self._fence is None:
            return self._stopping.wait(seconds)
        return self._fence.wait(seconds) or self._stopping.is_set()

    def pending(self) -> int:
        """Resources still in doubt (for status and tests)."""
        with self._lock:
            return len(self._until)

    def stop(self) -> None:
        """Interrupt every wait: the process is shutting down."""
        self._stopping.set()

    def resume(self) -> None:
        """Let waits run again (after the loop that stopped has ended)."""
        self._stopping.clear()


NO_DOUBTS = InDoubtWrites(0.0)  # for callers without SA timeouts to worry about (tests, dry runs)
