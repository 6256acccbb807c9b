"""The push loop's workers: an event's first try runs bare; after a transient failure it waits as SA
asked (Retry-After) or backs off with stamina's jitter, a stop during the wait abandons it, and a fatal
error (or one the pipeline could not park) stops the loop instead of leaving its key waiting."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any, cast

import pytest
from confluent_kafka import Consumer

from consumers import loop as parallel
from consumers.leases import Lease
from consumers.loop import ParallelLoop, _Stopped
from consumers.ordering import Work
from sync_core.errors import ConfigurationError, SaRateLimited, SaUnavailable
from sync_core.fencing import Fence
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


def worked(loop: ParallelLoop, lease: Lease | None = None) -> object:
    """Run the one delivery as a worker would (on ``lease``: by default, one no revoke ends); what it
    handed back to the poll thread."""
    lease = lease or Lease(Fence(), cast(PipelinePorts, None))
    work = Work("pics.learner", 0, 7, "L-1", DELIVERY)
    loop._work(work, DELIVERY, lease)
    done, outcome = loop._done.get_nowait()
    assert done is work
    return outcome


def test_a_429_waits_as_long_as_sa_asked_then_applies(monkeypatch: pytest.MonkeyPatch) -> None:
    """SA's Retry-After is waited out, then the event applies and the circuit closes again."""
    loop = loop_answering(monkeypatch, [SaRateLimited("429", retry_after=0.2), APPLIED])
    started = time.monotonic()
    assert worked(loop) is APPLIED
    assert time.monotonic() - started >= 0.2
    assert loop.breaker.state is State.CLOSED  # the success after it closed the circuit again


def test_a_fence_during_the_backoff_abandons_the_event_without_trying_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """The work's fence set while it backs off (the loop stops, or its partition was revoked) leaves it
    unfinished (its offset uncommitted), with no second call."""
    loop = loop_answering(monkeypatch, [SaUnavailable("503", status=503)])
    lease = Lease(Fence(), cast(PipelinePorts, None))
    threading.Timer(0.05, lease.fence.set).start()
    assert worked(loop, lease) is None  # abandoned: its offset stays uncommitted
    assert loop.breaker.state is State.OPEN  # the 503 counted against SA


def test_a_fatal_error_stops_the_loop_and_is_raised_by_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """SA refusing our credentials: the worker hands back a Stop, the loop stops and names the error."""
    loop = loop_answering(monkeypatch, [ConfigurationError("Smart Assessor refused the credentials")])
    stopped = worked(loop)
    assert isinstance(stopped, _Stopped) and isinstance(stopped.error, ConfigurationError)
    loop._finish(Work("pics.learner", 0, 7, "L-1", DELIVERY), stopped)
    assert loop._stop.is_set()
    with pytest.raises(ConfigurationError, match="refused the credentials"):
        loop._raise_fatal()


def test_an_error_the_pipeline_could_not_park_stops_the_loop_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pipeline parks every error but transient and fatal ones: one escaping it is a Stop, tried once."""
    loop = loop_answering(monkeypatch, [ValueError("a bug")])  # a second call would fail the test
    stopped = worked(loop)
    assert isinstance(stopped, _Stopped) and isinstance(stopped.error, ValueError)
