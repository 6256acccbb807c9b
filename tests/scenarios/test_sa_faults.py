"""Scenario: Smart Assessor fails a share of calls, hangs some, and rate-limits in a burst.

Contract: with the sandbox answering 503 to 10% of calls, hanging 5% of them, and for a few seconds
answering 429 to nearly every call, the production runtime (``ParallelLoop``) retries each failed
event until it lands, in its learner's order, and parks none. At the end SA equals the PICS truth
record by record, with no duplicate SA record and no learner changed in SA before it was created.
A call hung past the client's timeout is still served by SA afterwards, as a real API can: a create
that timed out but landed is found by its MIS id and linked, never made twice (U10), and a write
that timed out must not overwrite what a later event wrote.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from consumers.service import Service, open_service
from sandbox.sa.process import SaSandboxProcess
from sync_core.config import RuntimeConfig
from sync_core.outcome import Kind
from tests.scenarios.world import (
    assert_in_step,
    assert_order_held,
    counts_by,
    drain_in_process,
    enrolled_world,
    recorded,
)

pytestmark = pytest.mark.integration

LEARNERS, EVENTS = 30, 600
CLIENT_TIMEOUT_S = 1.0
LATE_WRITE_WINDOW_S = 3 * CLIENT_TIMEOUT_S  # SA applies a hung call at most 2 s after it came in
FAULTS = {"error_rate": 0.10, "timeout_rate": 0.05, "seed": 11}
CALM = {"error_rate": 0.0, "timeout_rate": 0.0, "rate_limit_per_s": None}


@pytest.fixture
def impatient(config: RuntimeConfig) -> Iterator[Service]:
    """The pipeline's ports with an SA client that gives up after ``CLIENT_TIMEOUT_S``."""
    impatient = {"sa_timeout_s": CLIENT_TIMEOUT_S, "sa_late_write_window_s": LATE_WRITE_WINDOW_S}
    with open_service(config.model_copy(update=impatient)) as service:
        yield service


def rate_limit_burst(sa: SaSandboxProcess, *, after: float, lasting: float) -> threading.Thread:
    """A thread that has SA answer 429 to almost every call for ``lasting`` seconds, ``after`` seconds from now."""

    def burst() -> None:
        time.sleep(after)
        sa.configure(rate_limit_per_s=2)
        time.sleep(lasting)
        sa.configure(rate_limit_per_s=None)

    thread = threading.Thread(target=burst, name="rate-limit-burst")
    thread.start()
    return thread


def sync_under_faults(service: Service, sa: SaSandboxProcess, faults: dict[str, Any]) -> dict[str, Any]:
    """Enrol and change a world with SA faulty throughout and a 429 burst mid-run; SA's call record."""

    def drain_under_faults() -> None:
        sa.configure(**faults)
        drain_in_process(service, concurrency=16)

    scenario = enrolled_world(service, drain_under_faults, learners=LEARNERS, seed=23)
    scenario.send(scenario.changes(EVENTS))
    burst = rate_limit_burst(sa, after=1.0, lasting=3.0)
    tally = drain_in_process(service, concurrency=16)
    burst.join()
    sa.configure(**CALM)
    calls = sa.calls()
    statuses = counts_by(calls["log"], "status")
    assert statuses.get(503, 0) > 0 and statuses.get(429, 0) > 0  # the faults did happen
    assert tally.count(Kind.PARKED) == 0
    assert counts_by(recorded(service), "outcome") == {"applied": LEARNERS + EVENTS}
    assert_order_held(service, calls["log"])
    assert_in_step(scenario.check(), LEARNERS)
    return calls


def test_5xx_slow_calls_and_a_429_burst_end_with_sa_equal_to_pics(impatient: Service, sa: SaSandboxProcess) -> None:
    """503s, calls slowed to a quarter of the client's timeout and a 429 burst are retried in order until SA equals PICS."""
    sync_under_faults(impatient, sa, FAULTS | {"timeout_hang_s": CLIENT_TIMEOUT_S / 4})


def test_calls_hung_past_the_client_timeout_neither_duplicate_nor_go_stale(
    impatient: Service, sa: SaSandboxProcess
) -> None:
    """U10: calls SA serves 2 s after the client gave up at 1 s leave no duplicate and no stale value in SA."""
    calls = sync_under_faults(impatient, sa, FAULTS | {"timeout_hang_s": 2 * CLIENT_TIMEOUT_S})
    assert calls["counts"]["POST /learners"] >= LEARNERS
