"""Retry, park or stop: the one decision every loop makes about an error (live, redrive, replay, pull).

``decide`` is pure. The error's class decides (``sync_core.errors``); the policy adds only how long
a loop may keep trying:

    error                                      verdict
    FatalError (SA or the registry refuses us,  Stop(message)             the process stops, commits
      an invalid setting)                                                 nothing past the event
    TransientError, tries left                  Retry(after)              SA's Retry-After, clamped; None:
      (SA unavailable or rate limited,                                    stamina's capped backoff
      the database unavailable)
    TransientError, no tries left               Stop("… after N tries")   a hand-run tool gives up
    PermanentError                              Park(reason, class)       the stream goes on
    any other Exception                         Park("unexpected C", C)   its class, never its message
                                                                          (it may carry personal data),
                                                                          so the key is always released
    any other BaseException                     Stop("interrupted …")

``sync_core.pipeline.retrying`` carries the verdicts out through stamina.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sync_core.errors import FatalError, PermanentError, SaRateLimited, TransientError

RETRY_AFTER_CAP_S = 300.0  # SA asking for a longer pause gets this one: a worker must not sleep for an hour


@dataclass(frozen=True)
class Policy:
    """How long a loop keeps retrying a transient failure."""

    attempts: int | None = None  # tries in all, the first one included; None: until the loop stops
    timeout_s: float | None = None  # the time all the tries of one item may take; None: no limit
    wait_max_s: float = 10.0  # the cap of stamina's exponential backoff


LIVE = Policy()  # the consumer: a learner's events wait for SA or the database as long as it takes
REDRIVE = Policy(attempts=5, timeout_s=60.0)  # by hand: a brief hiccup is retried, an outage stops it
REPLAY = Policy(attempts=10, timeout_s=300.0)
PULL = Policy(attempts=10, timeout_s=600.0, wait_max_s=30.0)


@dataclass(frozen=True)
class Retry:
    """Try again after ``after`` seconds (SA said so), or after stamina's backoff (None)."""

    after: float | None = None


@dataclass(frozen=True)
class Park:
    """Give up on this item and keep it with its reason; the stream goes on."""

    reason: str
    error_class: str


@dataclass(frozen=True)
class Stop:
    """Stop the loop: carrying on could lose or corrupt data, or the tries ran out (``gave_up``)."""

    reason: str
    gave_up: bool = False


Verdict = Retry | Park | Stop


def decide(error: BaseException, attempt: int, policy: Policy) -> Verdict:
    """What to do after ``error`` ended try number ``attempt`` (the first is 1)."""
    name = type(error).__name__
    if isinstance(error, FatalError):
        return Stop(str(error))
    if isinstance(error, TransientError):
        if policy.attempts is not None and attempt >= policy.attempts:
            return Stop(f"{name} after {attempt} tries", gave_up=True)
        return Retry(retry_after(error))
    if isinstance(error, PermanentError):
        return Park(f"{error.reason}: {error}", name)
    if isinstance(error, Exception):
        return Park(f"unexpected {name}", name)
    return Stop(f"interrupted by {name}")


def retry_after(error: TransientError) -> float | None:
    """SA's Retry-After in seconds, at most ``RETRY_AFTER_CAP_S``; None when it gave none (or nonsense)."""
    after = error.retry_after if isinstance(error, SaRateLimited) else None
    if after is None or not math.isfinite(after) or after < 0:
        return None
    return min(after, RETRY_AFTER_CAP_S)
