"""Scenario: the Kafka broker restarts while ``pics-sync run`` works through a backlog.

Contract: the broker going away (its connections dropped, the group coordinator gone, offset commits
failing) and coming back on the same address, with its data, does not stop the consumer process: it
keeps running, reconnects, rejoins its group and carries on from the committed offsets (finished work
is a no-op when it comes again), and takes the events sent after the restart too. Once it has drained
the backlog SA equals the PICS truth, with no duplicate SA record, each learner's events applied once
and in their order.

The session's broker is started inside ``sandbox.stack.local.local_stack`` and cannot be restarted from a
test, so this scenario runs on a broker of its own.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from consumers.kafka.clients import ensure_topics
from consumers.service import Service, open_service
from sandbox.sa.process import SaSandboxProcess
from sandbox.stack.kafka_broker import LocalKafka
from sync_core.config import RuntimeConfig, TopicLayout, kafka_settings
from sync_core.pipeline.routes import PUSH_TOPICS
from tests.scenarios.world import (
    ConsumerProcess,
    assert_in_step,
    assert_order_held,
    backlog,
    counts_by,
    drain_in_process,
    enrolled_world,
    ledger_size,
    recorded,
)
from tests.support import wait_until

pytestmark = pytest.mark.integration

LEARNERS, BEFORE, AFTER = 40, 600, 400  # events sent before and after the restart


@pytest.fixture
def broker() -> Iterator[LocalKafka]:
    """A broker for this test alone, removed with its data afterwards."""
    with LocalKafka() as kafka:
        yield kafka


@pytest.fixture
def own_config(config: RuntimeConfig, broker: LocalKafka) -> RuntimeConfig:
    """This test's configuration on its own broker, the push topics created."""
    own = config.model_copy(update={"kafka_bootstrap_servers": broker.bootstrap_servers})
    ensure_topics(kafka_settings(own), [own.topic_prefix + t for t in PUSH_TOPICS], TopicLayout(partitions=3))
    return own


@pytest.fixture
def own_service(own_config: RuntimeConfig) -> Iterator[Service]:
    """The pipeline's ports, on this test's broker."""
    with open_service(own_config) as service:
        yield service


def test_broker_restart_mid_run_leaves_sa_equal_to_pics(
    broker: LocalKafka, own_config: RuntimeConfig, own_service: Service, sa: SaSandboxProcess
) -> None:
    """The consumer outlives a broker restart mid-backlog and drains it: each event once, in order, SA equals PICS."""
    scenario = enrolled_world(own_service, lambda: drain_in_process(own_service), learners=LEARNERS, seed=71)
    scenario.send(scenario.changes(BEFORE))
    consumer = ConsumerProcess(own_config)
    try:
        at_start = ledger_size(own_service)
        wait_until(lambda: ledger_size(own_service) >= at_start + 50, timeout=30)
        assert ledger_size(own_service) < LEARNERS + BEFORE  # the broker goes mid-backlog
        broker.restart()
        assert consumer.proc.poll() is None, consumer.stderr()  # it outlived the broker's absence
        scenario.send(scenario.changes(AFTER))
        try:
            wait_until(lambda: backlog(own_config) == 0, timeout=90, interval=0.5)
        except AssertionError as stalled:  # keep the consumer's own account of what it was doing
            raise AssertionError(f"{stalled}; the consumer's log ends:\n{consumer.stderr()[-6000:]}") from None
        assert consumer.stop() == 0, consumer.stderr()
    finally:
        consumer.close()

    assert counts_by(recorded(own_service), "outcome") == {"applied": LEARNERS + BEFORE + AFTER}
    assert_in_step(scenario.check(), LEARNERS)
    assert_order_held(own_service, sa.calls()["log"])
