"""Health: /healthz answers while the process lives; /readyz is 503 naming each check that failed."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import cast

import pytest
from prometheus_client import CollectorRegistry

from consumers.kafka.consumer import Consumer
from consumers.loop import ParallelLoop
from consumers.metrics import Metrics, WatchedConsumer
from consumers.ordering import Work
from consumers.web import health
from consumers.web.app import build_app
from sync_core.outcome import Kind, Outcome, Source
from sync_core.pipeline.process import Delivery, PipelinePorts
from sync_core.smart_assessor.circuit import CircuitBreaker
from tests.unit.asgi import AsgiClient

P0 = SimpleNamespace(topic="pics.learner", partition=0, offset=-1001)


class FakeConsumer:
    """A consumer as the checks see it: its assignment, and whether the broker answers."""

    def __init__(self, partitions: list[object], broker_up: bool = True) -> None:
        self.partitions, self.broker_up = partitions, broker_up

    def consume(self, num_messages: int = 1, timeout: float = -1) -> list[object]:
        return []

    def assignment(self) -> list[object]:
        return self.partitions

    def position(self, partitions: list[object]) -> list[object]:
        return partitions

    def get_watermark_offsets(self, tp: object, cached: bool = False) -> tuple[int, int]:
        return (0, 0)

    def list_topics(self, timeout: float) -> object:
        if not self.broker_up:
            raise RuntimeError('KafkaError{code=_TRANSPORT,val=-195,str="Failed to get metadata"}')
        return object()


def open_breaker() -> CircuitBreaker:
    breaker = CircuitBreaker(threshold=1, cooldown=60)
    breaker.failure()
    return breaker


def readiness(consumer: FakeConsumer, breaker: CircuitBreaker, database_up: bool = True) -> health.Readiness:
    """The consumer's checks, with the database faked."""
    database: health.Check = (lambda: None) if database_up else (lambda: "connection refused")
    watched = WatchedConsumer(consumer)
    watched.consume(500, timeout=0.05)  # the poll thread copies its state
    checks = {"broker": health.broker(consumer), "database": database,
              "partitions": health.partitions(watched), "circuit": health.circuit(breaker)}  # fmt: skip
    return health.Readiness(checks)


@pytest.mark.parametrize(
    ("consumer", "breaker", "database_up", "failed"),
    [
        pytest.param(FakeConsumer([P0]), CircuitBreaker(), True, [], id="all-well"),
        pytest.param(FakeConsumer([P0]), open_breaker(), True, ["circuit"], id="circuit-open"),
        pytest.param(FakeConsumer([]), CircuitBreaker(), True, ["partitions"], id="no-partitions"),
        pytest.param(FakeConsumer([P0], broker_up=False), CircuitBreaker(), True, ["broker"], id="broker-down"),
        pytest.param(FakeConsumer([P0]), CircuitBreaker(), False, ["database"], id="database-down"),
        pytest.param(
            FakeConsumer([], broker_up=False),
            open_breaker(),
            False,
            ["broker", "database", "partitions", "circuit"],
            id="everything-down",
        ),
    ],
)
def test_readyz_names_the_failed_checks(
    consumer: FakeConsumer, breaker: CircuitBreaker, database_up: bool, failed: list[str]
) -> None:
    """/readyz is 200 when every check passes, else 503 with a JSON body naming each failed check and why."""
    app = build_app(Metrics(CollectorRegistry()), readiness(consumer, breaker, database_up))
    client = AsgiClient(app)
    answer = client.get("/readyz")
    body = answer.json()
    assert (answer.status_code, body["failed"]) == (503 if failed else 200, failed)
    assert body["status"] == ("not ready" if failed else "ready")
    assert all(body["checks"][name] != "ok" for name in failed)
    assert all(result == "ok" for name, result in body["checks"].items() if name not in failed)


def test_open_circuit_is_reported_by_its_state() -> None:
    """The circuit check says what state the breaker is in."""
    assert health.circuit(open_breaker())() == "SA circuit breaker is open"
    half_open = CircuitBreaker(threshold=1, cooldown=0)
    half_open.failure()
    assert health.circuit(half_open)() == "SA circuit breaker is half_open"


def test_a_consume_loop_that_stopped_polling_is_not_ready() -> None:
    """The partitions check fails when the poll thread's copy of the state is older than stale_after."""
    watched = WatchedConsumer(FakeConsumer([P0]))
    assert health.partitions(watched)() == "the consume loop has not polled yet"
    watched.consume(500, timeout=0.05)
    assert health.partitions(watched, stale_after=30)() is None
    time.sleep(0.01)
    assert health.partitions(watched, stale_after=0.001)() == "the consume loop has not polled for 0 s"


def test_a_check_that_raises_fails_with_its_class() -> None:
    """A check that raises is a failed check, not a 500: the error's class and message are its reason."""
    ready, body = health.Readiness({"broker": health.broker(FakeConsumer([], broker_up=False))}).run()
    assert not ready and body["checks"]["broker"].startswith("RuntimeError: KafkaError")


def test_healthz_answers_while_not_ready() -> None:
    """/healthz says the process is alive even when it is not ready: liveness never restarts a waiting consumer."""
    app = build_app(Metrics(CollectorRegistry()), readiness(FakeConsumer([]), open_breaker(), database_up=False))
    client = AsgiClient(app)
    assert (client.get("/healthz").status_code, client.get("/healthz").json()) == (200, {"status": "alive"})
    assert client.get("/readyz").status_code == 503


def test_metrics_endpoint_serves_the_registry() -> None:
    """/metrics is the Prometheus text format of the process's registry."""
    metrics = Metrics(CollectorRegistry())
    metrics.sa_call("POST /learners", "201", 0.05)
    client = AsgiClient(build_app(metrics, health.Readiness({})))
    answer = client.get("/metrics")
    assert answer.headers["content-type"].startswith("text/plain")
    assert 'pics_sync_sa_calls_total{endpoint="POST /learners",status="201"} 1.0' in answer.text


def test_a_loop_whose_work_does_not_move_turns_unready() -> None:
    """PICS_SYNC_STALL_S: work pending and nothing finished for that long is 503 with the reason; a
    finished event, or no work at all, makes it ready again."""
    loop = ParallelLoop(cast(Consumer, None), cast(PipelinePorts, None))
    check = health.progress(loop, stall_s=120)
    assert check() is None  # nothing pending: an idle consumer is not stuck
    work = Work("pics.learner", 0, 7, "L-1", Delivery(Source("pics.learner", 0, 7, "L-1"), b""))
    loop.tracker.add(work)
    loop.last_progress -= 60
    assert check() is None  # pending, but something finished within the last 120 s
    loop.last_progress -= 100
    assert check() == "no event finished for 160 s while 1 are pending"
    loop._finish(work, Outcome(Kind.APPLIED, "e-1", "LearnerEdited"))
    assert check() is None
