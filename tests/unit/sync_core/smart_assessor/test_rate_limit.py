"""The token bucket paces calls at its rate: pure timing with a fake clock."""

from __future__ import annotations

import pytest

from sync_core.smart_assessor.rate_limit import TokenBucket


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_one_token_per_interval() -> None:
    """The saved-up burst goes at once; after that each call waits 1/rate more than the one before."""
    clock = Clock()
    bucket = TokenBucket(rate=10, burst=2, clock=clock)
    waits = [bucket._reserve() for _ in range(5)]
    assert waits == pytest.approx([0.0, 0.0, 0.1, 0.2, 0.3])


def test_tokens_refill_with_time_up_to_the_burst() -> None:
    """Idle time refills the bucket, but never past its burst."""
    clock = Clock()
    bucket = TokenBucket(rate=10, burst=3, clock=clock)
    for _ in range(3):
        bucket._reserve()
    clock.now += 60
    assert [bucket._reserve() for _ in range(4)] == pytest.approx([0.0, 0.0, 0.0, 0.1])


def test_rate_must_be_positive() -> None:
    """A zero rate is refused rather than waiting for ever."""
    with pytest.raises(ValueError, match="positive"):
        TokenBucket(rate=0)
