"""Scenario: the daily run (``pics-sync pull daily``) is killed mid-run, resumed with ``--resume``, and drained.

Contract (D1, D3, D6 with the run's checkpoints): a daily run killed with SIGKILL between two checkpoints,
or ended abruptly at one (``PICS_SYNC_CRASH_AT=after_pull_chunk:N``, an ``os._exit`` as a kill -9), and
then resumed, ends as an uninterrupted run would. The resume carries on the same run after its
checkpoint; the reconcile requests it sends again have the ids they had (the run's and the learner's),
so the push consumer processes each eligible learner's request once and the copies are duplicates;
no learner is compared twice with writes. Once drained, SA holds PICS's values for every field edited
by hand in SA, each difference is recorded once under the run, and SA holds one record per PICS record.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from consumers.service import Service
from sandbox.sa.process import SaSandboxProcess
from sync_core.config import RuntimeConfig
from sync_core.faults import CRASH_EXIT_CODE
from sync_core.outcome import Kind, Tally
from sync_core.pics.learners import LearnerRepository
from sync_core.state.pull_runs import PullRuns
from tests.scenarios.world import (
    DailyRunProcess,
    Scenario,
    assert_in_step,
    enrolled_world,
    messages_on,
)
from tests.support import duplicate_sa_records, wait_until

pytestmark = pytest.mark.integration

LEARNERS, CHUNK = 12, 3  # four checkpoints in a run
HAND_EDITED = {"email": "typed.in.sa@example.org", "postcode": "ZZ9 9ZZ"}  # SA's field names


def hand_edited(scenario: Scenario) -> dict[str, str]:
    """Every third learner's email and postcode edited by hand in SA: {Learner Ident: SA id}."""
    chosen = sorted(scenario.world.learners)[::3]
    edited = {ident: scenario.world.learners[ident]["smart_assessor_id"] for ident in chosen}
    for sa_id in edited.values():
        scenario.service.sa.update_learner(sa_id, HAND_EDITED)
    return edited


def last_seq(sa: SaSandboxProcess) -> int:
    """The sequence number of the last call SA received."""
    return max((call["seq"] for call in sa.calls()["log"]), default=0)


def resumed(config: RuntimeConfig) -> dict[str, Any]:
    """``pull daily --resume`` to its end, at full speed: its summary."""
    run = DailyRunProcess(config, "--resume", "--json", "--rate", "1000")
    try:
        assert run.wait() == 0, run.stderr()
        return run.summary()
    finally:
        run.close()


def assert_as_uninterrupted(
    service: Service, sa: SaSandboxProcess, scenario: Scenario, edited: dict[str, str], run_id: int, since: int
) -> None:
    """The end state of an uninterrupted run: each learner's request processed once, each hand edit repaired
    with one write and recorded once under the run, SA in step with PICS, one SA record per PICS record."""
    assert reconciled(service) == dict.fromkeys(scenario.world.learners, 1)
    writes = Counter(c["resource_id"] for c in sa.calls(since=since)["log"]
                     if (c["method"], c["route"]) == ("PATCH", "/learners/{id}"))  # fmt: skip
    assert writes == dict.fromkeys(edited.values(), 1)  # compared once with writes; the others not written
    for ident, sa_id in edited.items():
        held, pics = service.sa.get_learner(sa_id), LearnerRepository(service.pool).get(ident)
        assert pics is not None and (held["email"], held["postcode"]) == (pics["email"], pics["postcode"])
    expected = sorted((run_id, "learner", ident, name, "push", "pushed") for ident in edited for name in HAND_EDITED)
    assert drift_rows(service) == expected
    assert_in_step(scenario.check(), LEARNERS)
    assert duplicate_sa_records(service, sa) == {}


def reconciled(service: Service) -> dict[str, int]:
    """How many reconcile requests the ledger holds an outcome of, per learner (a duplicate is not recorded)."""
    query = "SELECT key, count(*) FROM sync.processed_events WHERE event_type = 'ReconcileRequested' GROUP BY key"
    with service.pool.connection() as conn:
        return {str(key): int(count) for key, count in conn.execute(query)}


def drift_rows(service: Service) -> list[tuple[Any, ...]]:
    """Every difference recorded: (run, entity, PICS record, field, direction, action), sorted."""
    query = "SELECT run_id, entity, pics_id, field, direction, action FROM sync.drift"
    with service.pool.connection() as conn:
        return sorted(tuple(row) for row in conn.execute(query))


def test_kill9_between_checkpoints_then_resume_ends_as_an_uninterrupted_run(
    service: Service, config: RuntimeConfig, drain: Callable[[], Tally], sa: SaSandboxProcess
) -> None:
    """D1, D3, D6: SIGKILL once a request past the last checkpoint is on Kafka; `--resume` sends those again
    under the same ids (duplicates for the consumer) and the rest; drained, the end state is an uninterrupted run's."""
    scenario = enrolled_world(service, drain, learners=LEARNERS, seed=15, duplicate_share=0.0)
    edited, before = hand_edited(scenario), messages_on(config, "pics.learner")
    since = last_seq(sa)
    killed = DailyRunProcess(config, "--chunk", str(CHUNK), "--concurrency", "2", "--rate", "8")
    try:
        # Kill once a request of a learner past the first checkpoint is on Kafka: re-sent by the resume.
        wait_until(lambda: messages_on(config, "pics.learner") - before > CHUNK or killed.proc.poll() is not None)
        assert killed.proc.poll() is None, killed.stderr()
        killed.kill()
    finally:
        killed.close()
    run = PullRuns(service.pool).latest()
    assert run is not None and run["status"] == "running" and run["checkpoint"], run
    sent_before_kill = messages_on(config, "pics.learner") - before
    assert sent_before_kill > run["learners_read"], (sent_before_kill, run)  # killed between two checkpoints

    summary = resumed(config)
    tally = drain()

    assert (summary["id"], summary["status"], summary["learners_read"]) == (run["id"], "succeeded", LEARNERS)
    resent = messages_on(config, "pics.learner") - before - LEARNERS
    assert resent == sent_before_kill - run["learners_read"] > 0
    assert tally.count(Kind.DUPLICATE) == resent
    assert_as_uninterrupted(service, sa, scenario, edited, run["id"], since)


def test_crash_at_a_checkpoint_with_the_consumer_between_then_resume_ends_as_an_uninterrupted_run(
    service: Service, config: RuntimeConfig, drain: Callable[[], Tally], sa: SaSandboxProcess
) -> None:
    """D1, D3, D6: the run ends abruptly at its second checkpoint and the consumer repairs what it asked for;
    `--resume` asks for the rest only; drained again, the end state is an uninterrupted run's."""
    scenario = enrolled_world(service, drain, learners=LEARNERS, seed=16, duplicate_share=0.0)
    edited, before = hand_edited(scenario), messages_on(config, "pics.learner")
    since = last_seq(sa)
    crashed = DailyRunProcess(config, "--chunk", str(CHUNK), PICS_SYNC_CRASH_AT="after_pull_chunk:2")
    try:
        assert crashed.wait() == CRASH_EXIT_CODE, crashed.stderr()
    finally:
        crashed.close()
    run = PullRuns(service.pool).latest()
    assert run is not None and (run["status"], run["learners_read"]) == ("running", 2 * CHUNK), run
    assert drain().count(Kind.APPLIED) == 2 * CHUNK  # the first two chunks' requests, repaired meanwhile

    summary = resumed(config)
    tally = drain()

    assert (summary["id"], summary["status"]) == (run["id"], "succeeded")
    assert messages_on(config, "pics.learner") - before == LEARNERS  # nothing asked for twice
    assert tally.count(Kind.DUPLICATE) == 0
    assert_as_uninterrupted(service, sa, scenario, edited, run["id"], since)
