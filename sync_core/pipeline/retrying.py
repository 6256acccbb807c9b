"""The policy carried out: a call retried through stamina as ``policy.decide`` says.

The first try runs bare, outside stamina: setting up a retry context for every event cost more CPU
than the key ordering (BENCHMARKS.md). After a failure, stamina takes over, the failure replayed as
its first try, so the first wait is stamina's own (0.1 s plus up to 1 s of jitter, so workers that
failed together do not retry together). Every wait, SA's Retry-After or stamina's backoff (its
schedule, ``Attempt.next_wait``, plus the jitter), is waited out here on the ``stop`` event, the work's
fence (``sync_core.fencing``): a stopping consumer, or one whose partition was revoked, does not
sleep through it, and abandons the work before another try.
"""

from __future__ import annotations

import itertools
import random
import threading
from collections.abc import Callable
from typing import TypeVar

import stamina

from sync_core.errors import GaveUp
from sync_core.fencing import Abandoned
from sync_core.pipeline.policy import Policy, Retry, Stop, Verdict, decide

__all__ = ["Abandoned", "call"]

T = TypeVar("T")
JITTER_S = 1.0  # stamina's default jitter, added to its backoff schedule: workers that failed together spread out


def _nothing(_error: BaseException) -> None:
    return None


def call(
    fn: Callable[[], T],
    policy: Policy,
    *,
    stop: threading.Event | None = None,
    on_failure: Callable[[BaseException], None] = _nothing,
) -> T:
    """``fn()``, retried while the policy says Retry.

    Raises the error itself when the verdict is Park (the caller parks or counts it) or a fatal
    Stop; ``GaveUp`` when the tries or the time ran out; ``Abandoned`` once ``stop`` is set (it
    interrupts every wait).
    """
    try:
        return fn()
    except Exception as failed:
        first = failed
    return _retried(fn, first, policy, stop, on_failure)


def _retried(
    fn: Callable[[], T],
    first: BaseException,
    policy: Policy,
    stop: threading.Event | None,
    on_failure: Callable[[BaseException], None],
) -> T:
    tries = _Tries(policy, stop, on_failure)
    pending: BaseException | None = first
    try:
        for attempt in stamina.retry_context(
            on=tries.hook, attempts=None, timeout=policy.timeout_s, wait_max=policy.wait_max_s
        ):
            tries.attempt = attempt
            with attempt:
                if pending is not None:  # the bare first try's failure, so stamina makes the first wait
                    failed, pending = pending, None
                    raise failed
                tries.check_stop()
                return fn()
    except Exception as failed:
        tries.raise_for(failed)
        raise
    raise AssertionError("unreachable: stamina raises when it gives up")


class _Tries:
    """One item's tries: stamina's ``on=`` hook asks ``decide``, and the error that ended them is raised as it says."""

    def __init__(self, policy: Policy, stop: threading.Event | None, on_failure: Callable[[BaseException], None]):
        self._policy, self._stop, self._on_failure = policy, stop, on_failure
        self._attempts = itertools.count(1)
        self._last: Verdict | None = None
        self.attempt: stamina.Attempt | None = None  # the try that just failed: its ``next_wait`` is stamina's schedule

    def hook(self, error: Exception) -> bool | float:
        """Retry (0.0: waited out here already) or not (False)."""
        if isinstance(error, Abandoned):
            return False
        self._on_failure(error)
        self._last = verdict = decide(error, next(self._attempts), self._policy)
        if not isinstance(verdict, Retry):
            return False
        wait = self._backoff() if verdict.after is None else verdict.after
        return False if self._waits_stopped(wait) else 0.0

    def _backoff(self) -> float:
        """stamina's backoff for this try plus its jitter, capped at ``wait_max_s`` (none in its test mode)."""
        if self.attempt is None or stamina.is_testing():
            return 0.0
        return min(self._policy.wait_max_s, self.attempt.next_wait + random.uniform(0, JITTER_S))

    def check_stop(self) -> None:
        """Abandon the item once ``stop`` is set (the loop stops, or the work's partition left)."""
        if self._stop is not None and self._stop.is_set():
            raise Abandoned

    def raise_for(self, failed: Exception) -> None:
        """Raise what ends the tries, when it is not ``failed`` itself (Park, or a fatal Stop)."""
        self.check_stop()
        if isinstance(self._last, Retry):  # stamina's timeout ended the tries
            raise GaveUp(f"{type(failed).__name__} for {self._policy.timeout_s:.0f} s") from failed
        if isinstance(self._last, Stop) and self._last.gave_up:
            raise GaveUp(self._last.reason) from failed

    def _waits_stopped(self, seconds: float) -> bool:
        """Wait ``seconds`` on the stop event (the work's fence); True when it was set meanwhile."""
        return (self._stop or threading.Event()).wait(seconds)
