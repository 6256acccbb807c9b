"""Fault injection: what befalls one SA call (rate limit, 503, hang, latency), decided up front."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from sandbox.sa.config import SandboxConfig


@dataclass(frozen=True)
class Verdict:
    """What the gateway does with a call before the API sees it."""

    retry_after_s: int | None = None  # set: answer 429 with this Retry-After
    unavailable: bool = False  # answer 503
    hang_s: float = 0.0  # wait this long, then serve the call as usual
    delay_s: float = 0.0  # the configured latency


#: The fewest calls the rate limiter lets through back to back, at any rate: with one, a client
#: pacing itself at the rate would be refused whenever a call arrived a moment early.
BURST_MIN = 2.0


class TokenBucket:
    """``rate`` calls a second on average, in bursts of up to ``burst`` calls.

    The bucket starts full; each call passing takes a token, and tokens come back at ``rate`` a
    second up to ``burst``. A refused call takes none, so a client retrying early is not pushed
    further back. A client spacing its calls 1/``rate`` s apart passes whenever its calls arrive
    no more than ``(burst - 1) / rate`` s early in sum.
    """

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate, self._burst, self._clock = rate, burst, clock
        self._tokens, self._at = burst, clock()

    @classmethod
    def for_rate(cls, rate: float, clock: Callable[[], float] = time.monotonic) -> TokenBucket:
        """SA's limiter: bursts of a tenth of a second's calls, at least BURST_MIN."""
        return cls(rate, max(BURST_MIN, rate / 10), clock)

    def take(self) -> float:
        """0 when a call may pass now, else the seconds until it could."""
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate)
        self._at = now
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        return (1 - self._tokens) / self._rate


class Faults:
    """Draws each call's fate from the configuration and a seeded random generator."""

    def __init__(self, config: SandboxConfig) -> None:
        self.reconfigure(config)

    def reconfigure(self, config: SandboxConfig) -> None:
        """Take new settings: reseed the generator, restart the rate limiter."""
        self._config = config
        self._random = random.Random(config.seed)
        rate = config.rate_limit_per_s
        self._bucket = TokenBucket.for_rate(rate) if rate else None

    def draw(self) -> Verdict:
        """The fate of the call that just arrived."""
        config = self._config
        wait = self._bucket.take() if self._bucket else 0.0
        if wait > 0:
            return Verdict(retry_after_s=max(1, math.ceil(wait)))
        if self._random.random() < config.error_rate:
            return Verdict(unavailable=True)
        hang = config.timeout_hang_s if self._random.random() < config.timeout_rate else 0.0
        return Verdict(hang_s=hang, delay_s=config.latency_ms / 1000)
