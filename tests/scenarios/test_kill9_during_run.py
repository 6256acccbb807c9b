"""Scenario: ``pics-sync run`` is killed with SIGKILL at random moments while it works through a backlog.

Contract: a consumer process killed at any moment (mid-call to SA, between SA's answer and the ledger,
between the ledger and the offset commit) and started again, ten times over, loses nothing and
repeats nothing visible: the group's committed offsets never pass unfinished work, a redelivered
event is a no-op (ledger, pushed-state hashes, U10's create intents), and each learner's events are
applied in their order. Once the last process has drained the backlog SA equals the PICS truth, with
no duplicate SA record.
"""

from __future__ import annotations

import random
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
    counts_by,
    enrolled_world,
    ledger_size,
    recorded,
)
from tests.support import wait_until

pytestmark = pytest.mark.integration

LEARNERS, EVENTS, KILLS = 200, 20_000, 10  # the size: a 20,000-event run, ten kills spread over it


def kill_while_working(config: RuntimeConfig, service: Service, rng: random.Random) -> int:
    """Start a consumer, let it work a random moment once it has recorded something, SIGKILL it; events recorded."""
    before = ledger_size(service)
    consumer = ConsumerProcess(config)
    try:
        wait_until(lambda: ledger_size(service) > before or consumer.proc.poll() is not None, timeout=30)
        assert consumer.proc.poll() is None, consumer.stderr()
        time.sleep(rng.uniform(0.0, 6.0))
        consumer.kill()
    finally:
        consumer.close()
    return ledger_size(service) - before


def test_kill9_at_ten_random_moments_leaves_sa_equal_to_pics(
    service: Service, config: RuntimeConfig, drain: Callable[[], Tally], sa: SaSandboxProcess
) -> None:
    """Ten SIGKILLs mid-run and restarts: the backlog is applied once each, in order, and SA equals PICS."""
    scenario = enrolled_world(service, drain, learners=LEARNERS, seed=41)
    scenario.send(scenario.changes(EVENTS))
    rng = random.Random(41)

    progress = [kill_while_working(config, service, rng) for _ in range(KILLS)]
    assert backlog(config) > 0, progress  # the kills all landed mid-backlog
    last = ConsumerProcess(config)
    try:
        wait_until(lambda: backlog(config) == 0, timeout=900, interval=1.0)
        assert last.stop() == 0, last.stderr()
    finally:
        last.close()

    assert counts_by(recorded(service), "outcome") == {"applied": LEARNERS + EVENTS}
    assert_in_step(scenario.check(), LEARNERS)
    assert_order_held(service, sa.calls()["log"])
