"""A refresh's two halves through the real broker, PostgreSQL and the SA sandbox over HTTP (R1 v2), and the
Pull direction's differences in the drift record (D1, D3).

Contract: a ``RefreshRequested`` from PICS is compared with SA by the push consumer, then its learner is
pulled in a pull run of its own: a session SA gained after that day's nightly pull reaches PICS's reviews
through the refresh, and the nightly's items are not taken for the refresh's. A field the pull changes in
PICS under a Pull mode (P9) is a difference pulled, recorded once under its run; a pull that finds PICS
already holding SA's value records nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from consumers.kafka.clients import ensure_topics
from consumers.ops.daily_pull import PullOptions, daily_pull
from consumers.producer import EventProducer
from consumers.service import Service
from sandbox.pics.pull_seed import seed_pull_learners
from sandbox.sa.process import SaSandboxProcess
from sync_core.config import TopicLayout, kafka_settings
from sync_core.outcome import Kind, Tally
from sync_core.pics.learners import LearnerRepository
from sync_core.pics.snapshot import learner_snapshot
from sync_core.pipeline.routes import PULL_TOPICS
from sync_core.serde import new_event
from sync_core.state.drift import DriftLog
from sync_core.state.settings_repo import SettingsRepository
from tests.overlap import Overlap

pytestmark = pytest.mark.integration

TODAY = date.today()
SESSION = {"type": "Formal Review", "start": "2026-11-02T09:00:00Z", "durationMinutes": 45, "status": "attended"}
LATER = {**SESSION, "start": "2026-11-30T14:00:00Z"}


def nightly(service: Service) -> dict[str, Any]:
    return daily_pull(service, PullOptions(run_date=TODAY, rate_per_s=2000, concurrency=8, progress=False))


def reviews(service: Service, ident: str) -> list[str]:
    with service.pool.connection() as conn:
        rows = conn.execute("SELECT smart_assessor_system_id FROM pics.review WHERE learner_ident = %s", (ident,))
        return sorted(str(r[0]) for r in rows)


def test_r1_a_refresh_on_the_nightly_pull_day_brings_the_sessions_sa_gained_since(
    service: Service,
    sa: SaSandboxProcess,
    producer: EventProducer,
    drain: Callable[[], Tally],
    drain_pulled: Callable[[], Tally],
) -> None:
    [learner] = seed_pull_learners(service.pool, sa, 1, "RP-")
    ident, sa_id = learner["learner_ident"], learner["smart_assessor_id"]
    SettingsRepository(service.pool).set("Integration Enabled", "on")
    sa.set_activity(sa_id, sessions=[SESSION])
    nightly(service)
    drain()  # the nightly's reconcile request
    drain_pulled()
    assert len(reviews(service, ident)) == 1
    # The learner's afternoon review, after the nightly pull (the sandbox gives every session it is handed a new id).
    activity = sa.set_activity(sa_id, sessions=[SESSION, LATER])
    later = max(str(session["id"]) for session in activity["sessions"])

    payload = learner_snapshot(service.pool, ident)
    assert payload is not None
    producer.send("pics.learner", ident, new_event("RefreshRequested", dict(payload)))
    producer.flush()
    pushed = drain()
    pulled = drain_pulled()

    assert pushed.count(Kind.APPLIED) == 1 and pushed.count(Kind.PARKED) == 0
    assert later in reviews(service, ident)  # the refresh's own pull brought the new session
    assert pulled.count(Kind.APPLIED) >= 1 and pulled.count(Kind.DUPLICATE) == 0  # ids of its own


def test_d1_d3_a_field_pulled_into_pics_is_recorded_once_under_its_run(
    service: Service, sa: SaSandboxProcess, drain: Callable[[], Tally], drain_pulled: Callable[[], Tally]
) -> None:
    [learner] = seed_pull_learners(service.pool, sa, 1, "RD-")
    ident, sa_id = learner["learner_ident"], learner["smart_assessor_id"]
    ensure_topics(
        kafka_settings(service.config),
        [service.config.topic_prefix + t for t in PULL_TOPICS],
        TopicLayout(partitions=3),
    )
    for name, value in {
        "Integration Enabled": "on",
        "Update Learner Demographics Mode": "Update PICS from Smart Assessor Data",
    }.items():
        SettingsRepository(service.pool).set(name, value)
    service.sa.update_learner(sa_id, {"surname": "Handedited"})

    first = nightly(service)
    drain()
    drain_pulled()
    second = nightly(service)
    drain()
    drain_pulled()

    row = LearnerRepository(service.pool).get(ident)
    assert row is not None and row["surname"] == "Handedited"
    log = DriftLog(service.pool)
    found = [(c.entity, c.field, c.direction, c.action, c.count) for c in log.counts(first["id"])]
    assert ("learner", "surname", "pull", "pulled", 1) in found
    assert all(direction == "pull" for _e, _f, direction, _a, _n in found)  # nothing pushed back (S6 pulls)
    assert log.counts(second["id"]) == []  # D4: PICS holds SA's values now


def test_r1_a_refreshs_pull_reads_the_learners_items_at_once(
    service: Service, sa: SaSandboxProcess, drain_pulled: Callable[[], Tally], monkeypatch: pytest.MonkeyPatch
) -> None:
    """R1: the pull half of a refresh reads the learner's courses, sessions and OTJ hours from SA at once, not in
    turn (someone waits for a refresh; the daily run reads many learners at once already)."""
    [learner] = seed_pull_learners(service.pool, sa, 1, "RPA-")
    SettingsRepository(service.pool).set("Integration Enabled", "on")
    overlap = Overlap(wanted=3)
    for name in ("list_enrolments", "list_sessions", "get_otj"):
        monkeypatch.setattr(service.sa, name, overlap.wrap(getattr(service.sa, name)))
    assert service.ports.pull(learner["learner_ident"]) >= 1
    drain_pulled()
    assert overlap.most == 3
