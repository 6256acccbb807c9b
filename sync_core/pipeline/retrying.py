"""The policy carried out: a call retried through stamina as ``policy.decide`` says.

The first try runs bare, outside stamina: setting up a retry context for every event cost more CPU
than the key ordering (BENCHMARKS.md). After a failure, stamina takes over, the failure replayed as
its first try, so the first wait is stamina's own (0.1 s plus up to 1 s of jitter, so workers that
failed together do not retry together). A Retry-After from SA is waited out here, on the loop's stop
event, so a stopping consumer does not sleep through a long one; stamina's own backoff waits at most
``wait_max_s`` plus its jitter.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import TypeVar

import stamina

from sync_core.errors import GaveUp
from sync_core.pipeline.policy import Policy, Retry, Stop, Verdict, decide

T = TypeVar("T")


class Abandoned(BaseException):  # a stop, not an error: outside every ``except Exception``
    """The loop is stopping: the work is left unfinished, so its offset is not committed and it comes again."""


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
    Stop; ``GaveUp`` when the tries or the time ran out; ``Abandoned`` once ``stop`` is set.
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

    def hook(self, error: Exception) -> bool | float:
        """Retry (True: stamina's backoff; 0.0: waited out here already) or not (False)."""
        if isinstance(error, Abandoned):
            return False
        self._on_failure(error)
        self._last = verdict = decide(error, next(self._attempts), self._policy)
        if not isinstance(verdict, Retry):
            return False
        if verdict.after is None:
            return True
        return False if self._waits_stopped(verdict.after) else 0.0

    def check_stop(self) -> None:
        """Abandon the item when the loop is stopping."""
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
        """Wait ``seconds`` on the loop's stop event; True when it was set meanwhile."""
        return (self._stop or threading.Event()).wait(seconds)
