"""Scenario: PostgreSQL stops for ten seconds while ``pics-sync run`` works through a backlog, then starts again.

Contract: the sync-state and PICS database going away (every connection dropped, new ones refused)
and coming back on the same address, with its data, does not stop the consumer process and costs no
event: what was in flight when it went is retried until the database answers again, nothing is
parked, nothing is lost and nothing is done twice. Once the backlog is drained every event is
recorded as applied exactly once (a redelivery is a duplicate, not a second outcome), in its
learner's order; SA holds one record per PICS record and equals the PICS truth.

The session's embedded server is halted and resumed (``pg_ctl stop -m fast`` and start on its data
directory and socket); a database from ``DATABASE_URL`` or a container cannot be, and the test skips.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from consumers.service import Service
from sandbox.sa.process import SaSandboxProcess
from sandbox.stack.postgres import LocalPostgres
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
    parked_rows,
    recorded,
)
from tests.support import wait_until

pytestmark = pytest.mark.integration

LEARNERS, EVENTS = 20, 300
OUTAGE_S = 10.0


def test_postgres_down_for_ten_seconds_mid_backlog_loses_and_repeats_nothing(
    service: Service,
    config: RuntimeConfig,
    drain: Callable[[], Tally],
    sa: SaSandboxProcess,
    database_server: LocalPostgres,
) -> None:
    """PostgreSQL halted 10 s mid-backlog: the consumer waits it out; every event applied once, nothing parked, SA equals PICS."""
    scenario = enrolled_world(service, drain, learners=LEARNERS, seed=89)
    scenario.send(scenario.changes(EVENTS))
    sa.configure(latency_ms=50)  # the backlog lasts several seconds, so the outage lands in it
    consumer = ConsumerProcess(config)
    try:
        at_start = ledger_size(service)
        wait_until(lambda: ledger_size(service) >= at_start + 30 or consumer.proc.poll() is not None, timeout=30)
        assert ledger_size(service) < LEARNERS + EVENTS, "the backlog was done before the outage"
        with database_server.down():
            time.sleep(OUTAGE_S)
        service.pool.check()  # this test's own connections went with the server
        assert consumer.proc.poll() is None, consumer.stderr()  # it outlived the outage
        try:
            wait_until(lambda: backlog(config) == 0 or consumer.proc.poll() is not None, timeout=90, interval=0.5)
        except AssertionError as stalled:  # keep the consumer's own account of what it was doing
            raise AssertionError(f"{stalled}; the consumer's log ends:\n{consumer.stderr()[-6000:]}") from None
        assert consumer.stop() == 0, consumer.stderr()
    finally:
        consumer.close()

    assert parked_rows(service) == []
    assert counts_by(recorded(service), "outcome") == {"applied": LEARNERS + EVENTS}
    assert sa.calls()["counts"]["POST /learners"] == LEARNERS  # no learner created twice
    assert_in_step(scenario.check(), LEARNERS)
    assert_order_held(service, sa.calls()["log"])
