"""The circuit breaker's states with a fake clock."""

from __future__ import annotations

from sync_core.smart_assessor.circuit import CircuitBreaker, State


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_opens_after_threshold_failures_in_a_row() -> None:
    """Failures below the threshold keep it closed; reaching it opens it."""
    breaker = CircuitBreaker(threshold=3, cooldown=5, clock=Clock())
    breaker.failure()
    breaker.failure()
    assert breaker.state is State.CLOSED
    breaker.failure()
    assert breaker.state is State.OPEN


def test_a_success_resets_the_count() -> None:
    """A success between failures starts the count again."""
    breaker = CircuitBreaker(threshold=2, cooldown=5, clock=Clock())
    breaker.failure()
    breaker.success()
    breaker.failure()
    assert breaker.state is State.CLOSED


def test_half_open_after_cooldown_then_closes_on_success_or_reopens_on_failure() -> None:
    """After the cooldown a probe may go; success closes, failure opens for another cooldown."""
    clock = Clock()
    breaker = CircuitBreaker(threshold=1, cooldown=5, clock=clock)
    breaker.failure()
    clock.now = 5.0
    assert breaker.state is State.HALF_OPEN
    breaker.failure()
    assert breaker.state is State.OPEN
    clock.now = 10.0
    breaker.success()
    assert breaker.state is State.CLOSED
