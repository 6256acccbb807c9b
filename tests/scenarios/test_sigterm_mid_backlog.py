"""Scenario: ``pics-sync run`` is stopped with SIGTERM while its workers are busy on a backlog.

Contract: SIGTERM (a deploy, a scale-down) stops the consumer cleanly and promptly: it lets the events
in flight finish, abandons those queued behind them without starting them, commits the offsets of what
is done, leaves the group and exits 0 without a traceback, within seconds. A consumer of the same group started afterwards
takes over from the committed offsets, and once it has drained the backlog SA equals the PICS truth.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from consumers.service import Service
from sandbox.sa.process import SaSandboxProcess
from sync_core.config import RuntimeConfig
from sync_core.outcome import Tally
from tests.scenarios.world import (
    ConsumerProcess,
    assert_in_step,
    assert_order_held,
    backlog,
    enrolled_world,
    ledger_size,
)
from tests.support import wait_until

pytestmark = pytest.mark.integration

LEARNERS, EVENTS = 20, 300
STOP_WITHIN_S = 10.0  # in-flight events end in well under a second here


def test_sigterm_while_busy_exits_cleanly_and_a_successor_finishes_the_backlog(
    service: Service, config: RuntimeConfig, drain: Callable[[], Tally], sa: SaSandboxProcess
) -> None:
    """SIGTERM mid-backlog: in-flight events finish, the process exits 0 soon and quietly, a successor drains the rest."""
    scenario = enrolled_world(service, drain, learners=LEARNERS, seed=61)
    scenario.send(scenario.changes(EVENTS))
    sa.configure(latency_ms=100)  # every worker is mid-call when the signal comes
    consumer = ConsumerProcess(config)
    try:
        wait_until(lambda: ledger_size(service) >= LEARNERS + 20, timeout=30)
        signalled = time.monotonic()
        code = consumer.stop()
        seconds, stderr = time.monotonic() - signalled, consumer.stderr()
    finally:
        consumer.close()
    sa.configure(latency_ms=0)
    assert backlog(config) > 0  # it stopped mid-backlog
    drain()

    assert_in_step(scenario.check(), LEARNERS)
    assert_order_held(service, sa.calls()["log"])
    assert code == 0, stderr
    assert "Traceback" not in stderr
    assert seconds < STOP_WITHIN_S
