"""ReconcileRequested through the real broker, real PostgreSQL and the SA sandbox over HTTP (D1, D5).

Contract: a reconcile request carries only the learner's ident; the push consumer reads PICS's
record of the learner from the PICS tables when it processes the request, in the learner's key
order, and brings SA's learner to it under the settings: what PICS holds then is what SA gets,
also an edit made after the request was sent (D5). A learner PICS no longer has is recorded
skipped "not in PICS" and nothing is sent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import psycopg
import pytest

from consumers import cli
from consumers.ops.daily_pull import PullOptions, daily_pull
from consumers.producer import EventProducer
from consumers.service import Service
from sandbox.pics.people import People
from sandbox.sa.process import SaSandboxProcess
from sync_core.config import RuntimeConfig, kafka_settings
from sync_core.outcome import Kind, Tally
from sync_core.pics.learners import LearnerRepository
from sync_core.rules.eligibility import IN_LEARNING, LIVE
from sync_core.serde import new_event
from sync_core.state.settings_repo import SettingsRepository
from tests.support import process_env

pytestmark = pytest.mark.integration

PUSH_SETTINGS = {
    "Integration Enabled": "on",
    "Update Learner Demographics Mode": "Push PICS Data to Smart Assessor",
}


def in_pics_and_sa(service: Service, ident: str) -> dict[str, Any]:
    """A learner in the PICS tables and in SA, SA holding only its name."""
    learner = People(15).learner(ident)
    created = service.sa.create_learner(
        {"misId": ident, "firstName": learner["first_name"], "surname": learner["surname"]}
    )
    learner = {**learner, "smart_assessor_id": created["id"]}
    LearnerRepository(service.pool).upsert([learner])
    return learner


def reconcile(ident: str) -> dict[str, Any]:
    return new_event("ReconcileRequested", {"learner_ident": ident, "run_id": None})


def reasons(service: Service) -> list[str]:
    with psycopg.connect(service.config.database_url.get_secret_value()) as conn:
        return [r[0] for r in conn.execute('SELECT reason FROM sync.processed_events ORDER BY "offset"')]


def test_a_reconcile_pushes_what_pics_holds_when_it_is_processed(
    service: Service, producer: EventProducer, drain: Callable[[], Tally], sa: SaSandboxProcess
) -> None:
    """D5, D1: PICS's email changed after the request was sent reaches SA, read from the PICS tables."""
    SettingsRepository(service.pool).set_many(PUSH_SETTINGS)
    learner = in_pics_and_sa(service, "L-RECON-1")
    producer.send("pics.learner", "L-RECON-1", reconcile("L-RECON-1"))
    producer.flush()
    LearnerRepository(service.pool).upsert([{**learner, "email": "later@example.org"}])

    tally = drain()

    held = service.sa.get_learner(learner["smart_assessor_id"])
    assert tally.count(Kind.APPLIED) == 1
    assert (held["email"], held["postcode"], held["uln"]) == ("later@example.org", learner["postcode"], learner["uln"])


def test_a_reconcile_of_a_learner_pics_does_not_have_sends_nothing(
    service: Service, producer: EventProducer, drain: Callable[[], Tally], sa: SaSandboxProcess
) -> None:
    """D1: the request of a learner gone from PICS is recorded skipped "not in PICS"; SA is not written."""
    SettingsRepository(service.pool).set_many(PUSH_SETTINGS)
    producer.send("pics.learner", "L-RECON-GONE", reconcile("L-RECON-GONE"))
    producer.flush()

    tally = drain()

    assert (tally.count(Kind.SKIPPED), tally.count(Kind.PARKED)) == (1, 0)
    assert reasons(service) == ["not in PICS (D1)"]
    assert sa.calls()["counts"].get("PATCH /learners/{id}", 0) == 0


def drift_rows(service: Service) -> list[tuple[Any, ...]]:
    with psycopg.connect(service.config.database_url.get_secret_value()) as conn:
        query = "SELECT run_id, entity, pics_id, field, direction, action FROM sync.drift ORDER BY id"
        return [tuple(row) for row in conn.execute(query)]


def test_an_sa_hand_edit_under_push_is_repaired_recorded_and_then_in_step(
    service: Service, producer: EventProducer, drain: Callable[[], Tally], sa: SaSandboxProcess
) -> None:
    """D1, D3, D4: an email edited by hand in SA after we pushed it (X1 would hide it) is set back to PICS's by
    the daily run's request and recorded under that run, by field name only; the next run finds nothing."""
    SettingsRepository(service.pool).set_many(PUSH_SETTINGS)
    learner = in_pics_and_sa(service, "L-RECON-HAND")
    producer.send("pics.learner", "L-RECON-HAND", reconcile("L-RECON-HAND"))
    producer.flush()
    drain()  # in step: SA holds PICS's email, and our memo says we pushed it
    service.sa.update_learner(learner["smart_assessor_id"], {"email": "typed.in.sa@example.org"})
    before = drift_rows(service)

    for run_id in (3, 4):
        producer.send("pics.learner", "L-RECON-HAND", new_event("ReconcileRequested", {
            "learner_ident": "L-RECON-HAND", "run_id": run_id}))  # fmt: skip
        producer.flush()
        drain()

    assert service.sa.get_learner(learner["smart_assessor_id"])["email"] == learner["email"]
    assert drift_rows(service)[len(before) :] == [(3, "learner", "L-RECON-HAND", "email", "push", "pushed")]


def test_the_daily_run_asks_for_every_eligible_learner_and_the_consumer_repairs_it(
    service: Service, drain: Callable[[], Tally], sa: SaSandboxProcess
) -> None:
    """D1, D3, D5: the daily run sends each eligible learner's reconcile request on its key; the push consumer
    sets SA's hand edit back to PICS's value and records it under the run."""
    SettingsRepository(service.pool).set_many(PUSH_SETTINGS)
    learner = in_pics_and_sa(service, "L-RECON-DAILY")
    learner = {**learner, "system_status": LIVE, "programme_status": IN_LEARNING}  # Y1: eligible
    LearnerRepository(service.pool).upsert([learner])
    service.sa.update_learner(learner["smart_assessor_id"], {"email": "typed.in.sa@example.org"})

    summary = daily_pull(service, PullOptions(run_date=date.today(), progress=False))
    drain()

    assert summary["reconcile_requested"] == summary["learners_read"] >= 1
    assert service.sa.get_learner(learner["smart_assessor_id"])["email"] == learner["email"]
    assert (summary["id"], "learner", "L-RECON-DAILY", "email", "push", "pushed") in drift_rows(service)


def test_reconcile_dry_run_predicts_exactly_what_the_real_run_writes(
    config: RuntimeConfig,
    service: Service,
    drain: Callable[[], Tally],
    sa: SaSandboxProcess,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """D4: `reconcile --dry-run --learner` lists the hand-edited field and writes nothing; `reconcile --learner`
    then has the push consumer write exactly that, recorded as predicted."""
    for name, value in process_env(config).items():
        if name.startswith("PICS_SYNC_"):
            monkeypatch.setenv(name, value)
    SettingsRepository(service.pool).set_many(PUSH_SETTINGS)
    learner = in_pics_and_sa(service, "L-RECON-DRY")
    first = EventProducer(kafka_settings(config), service.ports.serde, topic_prefix=config.topic_prefix)
    first.send("pics.learner", "L-RECON-DRY", reconcile("L-RECON-DRY"))
    first.flush()
    drain()  # in step: SA holds PICS's details
    service.sa.update_learner(learner["smart_assessor_id"], {"email": "typed.in.sa@example.org"})
    capsys.readouterr()

    assert cli.main(["reconcile", "--dry-run", "--learner", "L-RECON-DRY", "--json"]) == 0
    predicted = json.loads(capsys.readouterr().out)["differences"]
    assert service.sa.get_learner(learner["smart_assessor_id"])["email"] == "typed.in.sa@example.org"
    assert cli.main(["reconcile", "--learner", "L-RECON-DRY", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["reconcile_requested"], summary["status"], summary["records"]) == (1, "succeeded", 1)
    before = len(drift_rows(service))
    drain()

    assert [(d["entity"], d["field"], d["action"]) for d in predicted] == [("learner", "email", "would push")]
    assert [(e, f, a) for _run, e, _p, f, _d, a in drift_rows(service)[before:]] == [("learner", "email", "pushed")]
    assert service.sa.get_learner(learner["smart_assessor_id"])["email"] == learner["email"]
