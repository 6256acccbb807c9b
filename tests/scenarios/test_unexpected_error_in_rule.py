"""Scenario: one learner's event raises an exception from outside our tree inside its rule.

Contract: with ``PICS_SYNC_RAISE_IN_RULE=<learner ident>`` the rule planning any event of that key
raises ``InjectedFault`` (a RuntimeError, no ``SyncError``), as a bug in a rule would. ``pics-sync
run`` parks that event with its class name (``error_class`` 'InjectedFault', reason 'unexpected
InjectedFault') and every later event of the learner behind it ('waiting behind a parked event of
this learner'); it neither stops nor stalls. Every other learner's events apply, so SA equals PICS
for them (and for every employer and assessor), with no duplicate SA record and in each learner's
order; the group's committed offsets reach the end of every partition; and ``/readyz`` answers 200
throughout.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

import pytest

from consumers.service import Service
from sandbox.pics.changes import LEARNER
from sandbox.pics.world import Emitted
from sandbox.sa.process import SaSandboxProcess
from sync_core.config import RuntimeConfig
from sync_core.outcome import Tally
from tests.scenarios.world import (
    ConsumerProcess,
    assert_in_step_but,
    assert_order_held,
    backlog,
    counts_by,
    enrolled_world,
    free_port,
    http_status,
    learners_checked,
    parked_rows,
    recorded,
)
from tests.support import wait_until

pytestmark = pytest.mark.integration

LEARNERS, EVENTS = 20, 200
BEHIND = "waiting behind a parked event of this learner"


def busiest_learner(changes: Sequence[Emitted]) -> str:
    """The learner with the most events among ``changes``, so several wait behind its first."""
    [(ident, _)] = Counter(e.key for e in changes if e.topic == LEARNER).most_common(1)
    return ident


def drain_with_fault(config: RuntimeConfig, victim: str) -> list[int | None]:
    """``pics-sync run`` with the fault on ``victim``'s events, until the group is at the end of every
    partition; stopped with SIGTERM then. Its ``/readyz`` answers, asked while it worked."""
    port = free_port()
    consumer = ConsumerProcess(config, PICS_SYNC_RAISE_IN_RULE=victim, PICS_SYNC_HTTP_PORT=str(port))
    readyz, answers = f"http://127.0.0.1:{port}/readyz", []

    def drained() -> bool:
        answers.append(http_status(readyz))
        return backlog(config) == 0 or consumer.proc.poll() is not None

    try:
        wait_until(lambda: http_status(readyz) == 200 or consumer.proc.poll() is not None, timeout=60)
        try:
            wait_until(drained, timeout=60, interval=0.5)
        except AssertionError as stalled:  # keep the consumer's own account of what it was doing
            raise AssertionError(f"{stalled}; the consumer's log ends:\n{consumer.stderr()[-6000:]}") from None
        assert consumer.proc.poll() is None, consumer.stderr()  # it outlived the fault
        answers.append(http_status(readyz))
        assert consumer.stop() == 0, consumer.stderr()
    finally:
        consumer.close()
    return answers


def assert_parked_from_the_fault(service: Service, victim: str, count: int) -> None:
    """The victim's first event parked as InjectedFault, its ``count - 1`` later ones behind it, nothing else."""
    parked = parked_rows(service)
    assert [row["key"] for row in parked] == [victim] * count, parked
    first, *behind = parked
    assert (first["error_class"], first["reason"]) == ("InjectedFault", "unexpected InjectedFault")
    assert {row["reason"] for row in behind} == {BEHIND}


def test_an_unexpected_error_in_a_rule_parks_its_learner_and_everything_else_flows(
    service: Service, config: RuntimeConfig, drain: Callable[[], Tally], sa: SaSandboxProcess
) -> None:
    """InjectedFault in one learner's rule parks that learner's events; the rest apply, offsets reach the end, /readyz stays 200."""
    scenario = enrolled_world(service, drain, learners=LEARNERS, seed=83)
    changes = scenario.changes(EVENTS)
    victim = busiest_learner(changes)
    victims_events = sum(1 for e in changes if (e.topic, e.key) == (LEARNER, victim))
    scenario.send(changes)
    sa.configure(latency_ms=10)  # the backlog lasts a few seconds, for /readyz to be asked during it

    answers = drain_with_fault(config, victim)

    assert set(answers) == {200}, answers
    assert_parked_from_the_fault(service, victim, victims_events)
    outcomes = {"applied": LEARNERS + EVENTS - victims_events, "parked": victims_events}
    assert counts_by(recorded(service), "outcome") == outcomes
    assert_in_step_but(scenario.check(), LEARNERS, lagging=learners_checked(scenario, {victim}))
    assert_order_held(service, sa.calls()["log"])
