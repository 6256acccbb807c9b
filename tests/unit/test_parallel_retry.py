"""The push loop's retries (issue #5): an event's first try runs bare; after a transient failure it
waits as SA asked (Retry-After) or backs off with jitter, and a stop during the wait abandons it."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any, cast

import pytest
from confluent_kafka import Consumer

from consumers import loop as parallel
from consumers.loop import ParallelLoop
from sync_core.errors import SaRateLimited, SaUnavailable
from sync_core.outcome import Kind, Outcome, Source
from sync_core.pipeline.process import Delivery, PipelinePorts
from sync_core.smart_assessor.circuit import CircuitBreaker, State

DELIVERY = Delivery(Source("pics.learner", 0, 7, "L-1"), b"")
APPLIED = Outcome(Kind.APPLIED, "00000000-0000-0000-0000-000000000001", "LearnerEdited")


def loop_answering(monkeypatch: pytest.MonkeyPatch, answers: Sequence[Outcome | Exception]) -> ParallelLoop:
    """A loop whose pipeline gives ``answers`` in turn; one call too many fails the test."""
    calls = iter(answers)

    def process(_delivery: Delivery, _ports: Any, _mode: Any) -> Outcome:
        answer = next(calls)
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(parallel, "process", process)
    breaker = CircuitBreaker(threshold=1, cooldown=60.0)
    return ParallelLoop(cast(Consumer, None), cast(PipelinePorts, None), concurrency=1, breaker=breaker)


def test_a_429_waits_as_long_as_sa_asked_then_applies(monkeypatch: pytest.MonkeyPatch) -> None:
    loop = loop_answering(monkeypatch, [SaRateLimited("429", retry_after=0.2), APPLIED])
    started = time.monotonic()
    assert loop._attempt(DELIVERY) is APPLIED
    assert time.monotonic() - started >= 0.2
    assert loop.breaker.state is State.CLOSED  # the success after it closed the circuit again


def test_a_stop_during_the_backoff_abandons_the_event_without_trying_again(monkeypatch: pytest.MonkeyPatch) -> None:
    loop = loop_answering(monkeypatch, [SaUnavailable("503", status=503)])
    threading.Timer(0.05, loop._stop.set).start()
    assert loop._attempt(DELIVERY) is None  # abandoned: its offset stays uncommitted
    assert loop.breaker.state is State.OPEN  # the 503 counted against SA


def test_an_error_that_is_not_transient_is_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    loop = loop_answering(monkeypatch, [ValueError("a bug")])
    with pytest.raises(ValueError, match="a bug"):
        loop._attempt(DELIVERY)
