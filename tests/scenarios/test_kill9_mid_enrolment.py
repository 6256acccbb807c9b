"""Scenario: the push consumer dies between SA's create of a learner and our write of the link.

Contract (U10): the consumer process ends abruptly (``PICS_SYNC_CRASH_AT=after_sa_create:learner``,
an ``os._exit`` as a kill -9 would) after SA created the learner and before the link was stored.
Then SA holds the learner, ``sync.links`` has no learner link, ``sync.create_intents`` keeps the
learner's intent row and nothing is recorded or committed for the event. A consumer of the same group
started afterwards gets the event again, finds the learner in SA by its MIS id and links it: SA still
holds exactly one learner (and one employer, one assessor), the link is stored, the Smart Assessor ID
is written back to PICS and the intent row is gone.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from consumers.producer import EventProducer
from consumers.service import Service
from sandbox.pics.people import People
from sandbox.sa.process import SaSandboxProcess
from sync_core.config import RuntimeConfig
from sync_core.faults import CRASH_EXIT_CODE
from sync_core.outcome import Kind, Tally
from sync_core.pics.learners import LearnerRepository
from sync_core.serde import new_event
from sync_core.state.settings_repo import SettingsRepository
from tests.support import process_env

pytestmark = pytest.mark.integration

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONSUMER = [sys.executable, "-c", "from consumers.cli import main; raise SystemExit(main(['run']))"]
IDENT, ORG, OFFICER = "L-KILL-1", "ORG-KILL-1", "OFF-KILL-1"


def consumer_env(config: RuntimeConfig, **extra: str) -> dict[str, str]:
    """The environment of a ``pics-sync run`` on this test's broker, database, sandbox, topics and group."""
    # A crashed member keeps its partitions until its session times out (45 s by default):
    # the broker's minimum, so the restart need not wait for that.
    return process_env(config, PICS_SYNC_KAFKA_SESSION_TIMEOUT_MS="6000", **extra)


def run_consumer(config: RuntimeConfig, *, timeout: float = 60.0, **extra: str) -> tuple[int | None, str]:
    """Run ``pics-sync run`` as its own process until it exits (or ``timeout``); its code and stderr."""
    proc = subprocess.Popen(
        CONSUMER,
        env=consumer_env(config, **extra),
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stderr = "(still running at the timeout)"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, stderr


def enrolment(service: Service) -> dict[str, Any]:
    """A LearnerEnrolled payload with a placement and a Main Officer; their PICS rows stored."""
    learner = {**People(21).learner(IDENT), "smart_assessor_id": None}
    placement = {
        "organisation_id": ORG,
        "name": "Kill Nine Ltd",
        "postcode": "LS1 5AB",
        "edrs_number": "987654321",
    }
    officer = {
        "officer_id": OFFICER,
        "first_name": "Kim",
        "surname": "Nine",
        "email": "kim.nine@provider.example",
    }
    with service.pool.connection() as conn:
        conn.execute(
            "INSERT INTO pics.organisation (id, name, postcode, edrs_number) VALUES (%s, %s, %s, %s)",
            (ORG, placement["name"], placement["postcode"], placement["edrs_number"]),
        )
        conn.execute(
            "INSERT INTO pics.officer (id, first_name, surname, email) VALUES (%s, %s, %s, %s)",
            (OFFICER, officer["first_name"], officer["surname"], officer["email"]),
        )
    LearnerRepository(service.pool).upsert([learner])
    return {
        "learner": learner,
        "placement": placement,
        "officers": [{"role": "Main Officer", "officer": officer}],
    }


def sync_rows(service: Service, query: str) -> list[tuple[Any, ...]]:
    with service.pool.connection() as conn:
        return conn.execute(query).fetchall()


def test_kill9_after_sa_create_links_instead_of_creating_again(
    service: Service,
    config: RuntimeConfig,
    producer: EventProducer,
    drain: Callable[[], Tally],
    sa: SaSandboxProcess,
) -> None:
    """U10: a crash between SA's create and the link write leaves one SA learner, linked on the restart."""
    SettingsRepository(service.pool).set_many({"Integration Enabled": "on"})
    producer.send("pics.learner", IDENT, new_event("LearnerEnrolled", enrolment(service)))
    producer.flush()

    code, stderr = run_consumer(config, PICS_SYNC_CRASH_AT="after_sa_create:learner")

    assert code == CRASH_EXIT_CODE, stderr
    assert [learner["misId"] for learner in sa.learners()] == [IDENT]
    assert sync_rows(service, "SELECT entity FROM sync.links ORDER BY entity") == [
        ("assessor",),
        ("employer",),
    ]
    assert sync_rows(service, "SELECT entity, pics_id FROM sync.create_intents") == [("learner", IDENT)]
    assert sync_rows(service, "SELECT event_id FROM sync.processed_events") == []

    tally = drain()  # the same group, in this process, without the crash

    assert tally.count(Kind.APPLIED) == 1
    [learner] = sa.learners()
    counts = sa.calls()["counts"]
    assert (counts["POST /learners"], counts["POST /employers"], counts["POST /assessors"]) == (1, 1, 1)
    assert (len(sa.employers()), len(sa.assessors())) == (1, 1)
    links = sync_rows(service, "SELECT sa_id FROM sync.links WHERE entity = 'learner'")
    assert links == [(learner["id"],)]
    assert sync_rows(service, "SELECT entity, pics_id FROM sync.create_intents") == []
    pics = LearnerRepository(service.pool).get(IDENT)
    assert pics is not None and pics["smart_assessor_id"] == learner["id"]  # U8
