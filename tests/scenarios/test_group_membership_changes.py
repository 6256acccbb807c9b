"""Scenario: consumers join and leave the group while it works through a backlog.

Contract: three ``pics-sync run`` processes share one group on six-partition topics; mid-run a fourth
joins, and later one of the first three is stopped with SIGTERM. Each rebalance hands partitions over
without losing or repeating work: a member giving up partitions finishes (or abandons uncommitted) the
work it holds on them and commits only what is done; the new owner starts from there and a repeat is a
no-op. Every learner's events are applied once and in their order, and once the group has drained the
backlog SA equals the PICS truth with no duplicate SA record.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from consumers.kafka.clients import ensure_topics
from consumers.service import Service, open_service
from sandbox.sa.process import SaSandboxProcess
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
    members_holding_partitions,
    recorded,
)
from tests.support import wait_until

pytestmark = pytest.mark.integration

LEARNERS, EVENTS, PARTITIONS = 60, 2000, 6


@pytest.fixture
def six_partitions(config: RuntimeConfig) -> RuntimeConfig:
    """This test's configuration on push topics of their own with six partitions each."""
    six = config.model_copy(update={"topic_prefix": f"{config.topic_prefix}p{PARTITIONS}."})
    ensure_topics(kafka_settings(six), [six.topic_prefix + t for t in PUSH_TOPICS], TopicLayout(partitions=PARTITIONS))
    return six


@pytest.fixture
def wide(six_partitions: RuntimeConfig) -> Iterator[Service]:
    """The pipeline's ports on the six-partition topics."""
    with open_service(six_partitions) as service:
        yield service


def work_on(service: Service, events: int) -> None:
    """Wait until the group has recorded ``events`` more events."""
    target = ledger_size(service) + events
    wait_until(lambda: ledger_size(service) >= target, timeout=60)


def test_a_member_joining_and_one_leaving_mid_run_leave_sa_equal_to_pics(
    wide: Service, six_partitions: RuntimeConfig, sa: SaSandboxProcess
) -> None:
    """Three members, a fourth joining and one leaving on SIGTERM mid-run: each event applied once, in order."""
    scenario = enrolled_world(wide, lambda: drain_in_process(wide), learners=LEARNERS, seed=53)
    scenario.send(scenario.changes(EVENTS))
    started = [ConsumerProcess(six_partitions) for _ in range(3)]
    try:
        work_on(wide, 100)
        started.append(ConsumerProcess(six_partitions))
        wait_until(lambda: members_holding_partitions(six_partitions) == 4, timeout=30)
        work_on(wide, 50)
        leaving, *staying = started
        assert ledger_size(wide) < LEARNERS + EVENTS  # it leaves mid-backlog
        assert leaving.stop() == 0, leaving.stderr()
        wait_until(lambda: backlog(six_partitions) == 0, timeout=60, interval=0.5)
        for member in staying:
            assert member.stop() == 0, member.stderr()
    finally:
        for member in started:
            member.close()

    assert counts_by(recorded(wide), "outcome") == {"applied": LEARNERS + EVENTS}
    assert_in_step(scenario.check(), LEARNERS)
    assert_order_held(wide, sa.calls()["log"])
