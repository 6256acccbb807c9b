"""``pics-sync run --until-idle``: a real process drains a backlog, then exits (#17).

Contract: with a backlog on pics.learner produced first, ``run --until-idle`` exits 0 once every
partition assigned to it is consumed to its end and nothing is pending, and SA holds every learner
of the backlog; with ``--fail-on-park``, an event parked during the run (SA refusing it) makes it
exit 3 once idle, the other learners in SA all the same; ``--fail-on-park`` alone is a bad option.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from consumers.producer import EventProducer
from consumers.service import Service
from sandbox.sa.process import SaSandboxProcess
from sync_core.config import RuntimeConfig
from sync_core.state.settings_repo import SettingsRepository
from tests.learners import course, enrolment, new_learner, send
from tests.support import process_env

pytestmark = pytest.mark.integration

PICS_SYNC = str(Path(sys.executable).parent / "pics-sync")  # the console script, as an operator runs it
BACKLOG = ("L-IDLE-1", "L-IDLE-2", "L-IDLE-3", "L-IDLE-4")


def run(config: RuntimeConfig, *argv: str) -> subprocess.CompletedProcess[str]:
    """``pics-sync run`` with ``argv`` as a process of its own, to its end (a run that never idles times out)."""
    command = [PICS_SYNC, "run", *argv]
    return subprocess.run(command, env=process_env(config), capture_output=True, text=True, timeout=180)


def backlog(service: Service, producer: EventProducer, idents: tuple[str, ...]) -> None:
    """One enrolment per learner on pics.learner, in the broker before any consumer runs."""
    SettingsRepository(service.pool).set_many({"Integration Enabled": "on"})
    for seed, ident in enumerate(idents, start=40):
        send(producer, ident, [enrolment(service, new_learner(seed, ident), [course(f"Q-{ident}")])])


def test_until_idle_exits_0_once_the_backlog_is_in_sa(
    config: RuntimeConfig, service: Service, producer: EventProducer, sa: SaSandboxProcess
) -> None:
    """U1/U5: ``run --until-idle`` consumes a backlog produced before it started and exits 0; SA holds each learner."""
    backlog(service, producer, BACKLOG)
    done = run(config, "--until-idle")
    assert done.returncode == 0, done.stderr
    assert sorted(learner["misId"] for learner in sa.learners()) == list(BACKLOG)
    with service.pool.connection() as conn:
        outcomes = conn.execute("SELECT outcome, count(*) FROM sync.processed_events GROUP BY 1").fetchall()
    assert outcomes == [("applied", len(BACKLOG))]


def test_until_idle_with_nothing_to_do_exits_0(config: RuntimeConfig, service: Service) -> None:
    """An empty backlog: idle as soon as the partitions are assigned, exit 0 (it does not wait for new events)."""
    done = run(config, "--until-idle", "--fail-on-park")
    assert done.returncode == 0, done.stderr


def test_fail_on_park_exits_3_when_sa_refused_an_event(
    config: RuntimeConfig, service: Service, producer: EventProducer, sa: SaSandboxProcess
) -> None:
    """U1: SA refuses a malformed ULN, the enrolment parks; ``--fail-on-park`` exits 3 once idle, the rest in SA."""
    backlog(service, producer, BACKLOG[:2])
    refused = new_learner(49, "L-IDLE-BAD", uln="12AB")
    send(producer, "L-IDLE-BAD", [enrolment(service, refused)])
    done = run(config, "--until-idle", "--fail-on-park")
    assert done.returncode == 3, done.stderr
    assert "1 event(s) parked during the run" in done.stderr and "12AB" not in done.stderr
    assert sorted(learner["misId"] for learner in sa.learners()) == list(BACKLOG[:2])
    with service.pool.connection() as conn:
        assert conn.execute("SELECT key FROM sync.parked_events").fetchall() == [("L-IDLE-BAD",)]
    assert run(config, "--until-idle").returncode == 0, "without --fail-on-park a park is no failure"


def test_fail_on_park_needs_until_idle(config: RuntimeConfig) -> None:
    """``--fail-on-park`` without ``--until-idle``: a bad option, exit 2 and one line, before consuming anything."""
    done = run(config, "--fail-on-park")
    assert done.returncode == 2
    assert done.stderr.strip() == "pics-sync: --fail-on-park needs --until-idle"
