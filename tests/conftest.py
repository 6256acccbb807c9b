"""Fixtures for integration and scenario tests: the real broker, PostgreSQL and SA sandbox, started once per session.

How each part starts (environment, testcontainers, or local processes) is decided in one place,
``sandbox.stack.local``; these fixtures only hand each test its own database, topics and group.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator

import pytest
from pydantic import SecretStr

from consumers.cli.demo_cmd import stack_config
from consumers.kafka.clients import ensure_topics, make_consumer
from consumers.loop import ParallelLoop
from consumers.producer import EventProducer
from consumers.service import Service, open_service
from sandbox.sa.process import SaSandboxProcess
from sandbox.stack.local import Stack, local_stack
from sandbox.stack.postgres import LocalPostgres, fresh_database
from sync_core.config import RuntimeConfig, TopicLayout, kafka_settings
from sync_core.outcome import Tally
from sync_core.pipeline.routes import PULL_TOPICS, PUSH_TOPICS


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    """Kafka, PostgreSQL and the SA sandbox, once for the whole session."""
    with local_stack(reuse_env=False) as running:
        yield running


@pytest.fixture
def database_server(stack: Stack) -> Iterator[LocalPostgres]:
    """The session's embedded PostgreSQL, to halt and resume; running again after the test whatever happened."""
    server = LocalPostgres.serving(stack.database_url)
    if server is None:
        pytest.skip("the database is not the embedded server (DATABASE_URL or a container): it cannot be halted here")
    try:
        yield server
    finally:
        server.resume()  # the rest of the session shares it


# The sandbox's run-time settings with no fault, put back before every test that uses it.
CALM = {
    "token_ttl_s": 600,
    "latency_ms": 0,
    "error_rate": 0.0,
    "timeout_rate": 0.0,
    "timeout_hang_s": 30.0,
    "rate_limit_per_s": None,
}


@pytest.fixture
def sa(stack: Stack) -> SaSandboxProcess:
    """The session's SA sandbox, emptied (default catalogue) and without faults."""
    assert stack.sa is not None
    stack.sa.reset()
    stack.sa.configure(**CALM)
    return stack.sa


@pytest.fixture
def config(stack: Stack, sa: SaSandboxProcess) -> RuntimeConfig:
    """Configuration with this test's own database, topic prefix and consumer group."""
    run = uuid.uuid4().hex[:10]
    base = stack_config(stack)
    config = base.model_copy(
        update={"database_url": SecretStr(fresh_database(stack.database_url)),
                "topic_prefix": f"t{run}.", "kafka_group_id": f"g{run}", "settings_ttl_s": 0.0}
    )  # fmt: skip
    ensure_topics(kafka_settings(config), [config.topic_prefix + t for t in PUSH_TOPICS], TopicLayout(partitions=3))
    return config


@pytest.fixture
def service(config: RuntimeConfig) -> Iterator[Service]:
    """The pipeline's ports on this test's database and the sandbox."""
    with open_service(config) as opened:
        yield opened


@pytest.fixture
def producer(config: RuntimeConfig, service: Service) -> EventProducer:
    """A producer onto this test's topics."""
    return EventProducer(kafka_settings(config), service.ports.serde, topic_prefix=config.topic_prefix)


def _drain(config: RuntimeConfig, service: Service, topics: tuple[str, ...], group: str) -> Tally:
    consumer = make_consumer(kafka_settings(config), group)
    loop = ParallelLoop(consumer, service.ports, concurrency=8)
    loop.subscribe([config.topic_prefix + t for t in topics])
    try:
        return loop.run_until_drained(threading.Event(), timeout=60)
    finally:
        consumer.close()


@pytest.fixture
def drain(config: RuntimeConfig, service: Service) -> Callable[[], Tally]:
    """Runs the push consumer (this test's group) until the push topics are read to their end."""
    return lambda: _drain(config, service, PUSH_TOPICS, config.kafka_group_id)


@pytest.fixture
def drain_pulled(config: RuntimeConfig, service: Service) -> Callable[[], Tally]:
    """Runs the PICS updaters (this test's updater group) until the sa.* topics are read to their end."""
    ensure_topics(kafka_settings(config), [config.topic_prefix + t for t in PULL_TOPICS], TopicLayout(partitions=3))
    return lambda: _drain(config, service, PULL_TOPICS, f"{config.kafka_group_id}-updaters")
