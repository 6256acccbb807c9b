"""A circuit breaker for SA: after a run of transient failures, stop fetching work and probe.

Closed: calls flow. After ``threshold`` transient failures in a row it opens: the consume loop
pauses its partitions, so no new work piles up while SA is down. After ``cooldown`` seconds it is
half-open: the retries already in flight act as probes; the first success closes it, a failure
opens it again for another cooldown.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from enum import StrEnum


class State(StrEnum):
    """The breaker's states."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Thread-safe: workers report outcomes, the loop asks ``state``."""

    def __init__(self, threshold: int = 5, cooldown: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.threshold, self.cooldown, self._clock = threshold, cooldown, clock
        self._failures, self._opened_at = 0, 0.0
        self._open = False
        self._lock = threading.Lock()

    @property
    def state(self) -> State:
        """Closed, open, or half-open once the cooldown has passed."""
        with self._lock:
            if not self._open:
                return State.CLOSED
            return State.HALF_OPEN if self._clock() - self._opened_at >= self.cooldown else State.OPEN

    def success(self) -> None:
        """A call to SA answered: close."""
        with self._lock:
            self._failures, self._open = 0, False

    def failure(self) -> None:
        """A call to SA failed transiently (timeout, 5xx, 429)."""
        with self._lock:
            self._failures += 1
            if self._failures >= self.threshold:
                self._open, self._opened_at = True, self._clock()
