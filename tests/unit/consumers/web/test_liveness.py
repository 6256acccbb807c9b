"""Liveness: /healthz turns 503 when the consume loop's poll thread is stuck, and only then."""

from __future__ import annotations

import time
from typing import cast

import pytest
from prometheus_client import CollectorRegistry
from psycopg_pool import ConnectionPool

from consumers.kafka.consumer import Consumer
from consumers.loop import ParallelLoop
from consumers.metrics import ConsumerState, Metrics, WatchedConsumer
from consumers.web import health
from consumers.web.app import build_app
from sync_core.pipeline.process import PipelinePorts
from tests.unit.asgi import AsgiClient
from tests.unit.consumers.web.test_health import P0, FakeConsumer


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def healthz(check: health.Check) -> tuple[int, dict[str, object]]:
    answer = AsgiClient(build_app(Metrics(CollectorRegistry()), health.Readiness({}, {"polling": check}))).get(
        "/healthz"
    )
    return answer.status_code, answer.json()


@pytest.mark.parametrize(
    ("polled", "idle_s", "status"),
    [
        pytest.param(True, 60.0, 200, id="polled-within-the-bound"),
        pytest.param(True, 200.0, 503, id="no-poll-past-the-bound"),
        pytest.param(False, 60.0, 200, id="not-polled-yet-since-a-short-while"),
        pytest.param(False, 200.0, 503, id="never-polled-past-the-bound"),
    ],
)
def test_healthz_is_503_once_the_poll_thread_stopped_polling(polled: bool, idle_s: float, status: int) -> None:
    """A poll thread that has not polled for ``stuck_after`` (a hang a restart cures) fails liveness,
    naming how long; counted from the check's start until the first poll."""
    clock = Clock()
    watched = WatchedConsumer(FakeConsumer([P0]), clock=clock)
    check = health.polling(watched, stuck_after=120.0, clock=clock)
    if polled:
        watched.consume(500, timeout=0.05)
    clock.now += idle_s
    code, body = healthz(check)
    assert code == status
    if status == 200:
        assert body == {"status": "alive"}
    else:
        assert body["status"] == "stuck" and body["failed"] == ["polling"]
        assert body["checks"] == {"polling": f"the consume loop has not polled for {idle_s:.0f} s"}


@pytest.mark.parametrize(
    ("idle_past_the_revoke_s", "stuck"),
    [pytest.param(-5.0, False, id="within-a-revoke"), pytest.param(5.0, True, id="past-a-revoke")],
)
def test_a_revoke_holding_the_poll_thread_is_not_a_stuck_loop(idle_past_the_revoke_s: float, stuck: bool) -> None:
    """The consumer's liveness waits at least as long as a revoke may hold the poll thread on purpose
    (its grace, then the fence's wait), even with a shorter PICS_SYNC_STALL_S."""
    watched = WatchedConsumer(FakeConsumer([P0]))
    loop = ParallelLoop(cast(Consumer, watched), cast(PipelinePorts, None))
    readiness = health.for_loop(cast(ConnectionPool, None), loop, FakeConsumer([P0]), stall_s=10.0)
    held = loop.revoke_grace_s + loop.fence_wait_s
    watched.state = ConsumerState({}, time.monotonic() - held - idle_past_the_revoke_s)
    assert (readiness.alive["polling"]() is not None) is stuck


def test_a_consumer_not_watched_has_no_liveness_check() -> None:
    """Without the poll thread's copy of its state nothing tells a stuck loop: /healthz stays 200."""
    loop = ParallelLoop(cast(Consumer, FakeConsumer([P0])), cast(PipelinePorts, None))
    readiness = health.for_loop(cast(ConnectionPool, None), loop, FakeConsumer([P0]))
    assert readiness.alive == {}
