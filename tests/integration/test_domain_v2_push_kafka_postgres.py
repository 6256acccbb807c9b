"""DOMAIN v2's push rules through the real broker, real PostgreSQL and the SA sandbox over HTTP (issue #13).

Contract, one failure sequence of v1 per test: edits before "Create in Smart Assessor" are skipped and
nothing waits behind them (X2); a withdrawal recorded two months late reaches SA, and a learner who
is not Live is skipped (Y2); a dates-only QualificationChanged carrying no officers leaves SA's
assessors as they were (Q1); a supported qualification added after the upload is enrolled once, and
a replay from the start enrols nothing again (U5); a field pushed under a toggle and changed back
once the toggle is off reaches SA (X1); an unknown completion status or outcome parks naming the
code, before any SA call (A1). SA's state is read from the sandbox over HTTP.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from consumers import cli
from consumers.ops.replay import ReplayOptions, replay
from consumers.producer import EventProducer
from consumers.service import Service
from sandbox.sa.process import SaSandboxProcess
from sync_core.config import RuntimeConfig
from sync_core.outcome import Kind, Tally
from sync_core.pipeline.process import RunMode
from sync_core.rules.eligibility import month_before
from sync_core.serde import new_event
from sync_core.state.settings_repo import SettingsRepository
from tests.learners import (
    ALSO_SUPPORTED,
    aim_closed,
    course,
    edit,
    enrolment,
    new_learner,
    officer,
    send,
)
from tests.support import process_env

pytestmark = pytest.mark.integration

PUSH_SETTINGS = {"Integration Enabled": "on", "Update Learner Demographics Mode": "Push PICS Data to Smart Assessor"}
ENROL, PATCH_COURSE = "POST /learners/{id}/courses", "PATCH /learners/{id}/courses/{enrolmentId}"


@pytest.fixture
def pushing(service: Service) -> Service:
    SettingsRepository(service.pool).set_many(PUSH_SETTINGS)
    return service


def configure(service: Service, **settings: str) -> None:
    """Settings by PICS name, on top of ``PUSH_SETTINGS``; they take effect at once (TTL 0)."""
    SettingsRepository(service.pool).set_many(settings)


def recorded(service: Service, key: str) -> list[tuple[str, str, str | None]]:
    """(event type, outcome, reason) of the key's events in the ledger, in offset order."""
    with service.pool.connection() as conn:
        query = 'SELECT event_type, outcome, reason FROM sync.processed_events WHERE key = %s ORDER BY "offset"'
        return [(str(t), str(o), r) for t, o, r in conn.execute(query, (key,)).fetchall()]


def parked(service: Service) -> list[tuple[str, str, str]]:
    """(key, error class, reason) of every parked event, by key."""
    with service.pool.connection() as conn:
        query = 'SELECT key, error_class, reason FROM sync.parked_events ORDER BY key, "offset"'
        return [(str(k), str(c), str(r)) for k, c, r in conn.execute(query).fetchall()]


def learner_in_sa(sa: SaSandboxProcess, ident: str) -> dict[str, Any]:
    """The one SA learner of this PICS learner (by MIS id)."""
    [record] = [learner for learner in sa.learners() if learner["misId"] == ident]
    return record


def courses_of(sa: SaSandboxProcess, ident: str) -> dict[str, dict[str, Any]]:
    """The SA enrolments of this PICS learner, by PICS learner qualification id."""
    sa_id = learner_in_sa(sa, ident)["id"]
    return {e["misId"]: e for e in sa.enrolments() if e["learnerId"] == sa_id}


def calls(sa: SaSandboxProcess, route: str) -> int:
    return int(sa.calls()["counts"].get(route, 0))


def assessor_ids(sa: SaSandboxProcess) -> dict[str, int]:
    """SA assessor id by PICS officer id."""
    return {a["misId"]: a["id"] for a in sa.assessors()}


def test_x2_edits_before_the_upload_are_skipped_and_nothing_waits(
    pushing: Service,
    config: RuntimeConfig,
    producer: EventProducer,
    drain: Callable[[], Tally],
    sa: SaSandboxProcess,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """X2 v2: two edits before "Create in Smart Assessor" are skipped, the enrolment and the edit after it apply, nothing parks."""
    learner = new_learner(41, "L-V2-X2")
    first = {**learner, "email": "x2.first@example.org"}
    second = {**first, "surname": "Second"}
    after = {**second, "email": "x2.after@example.org"}
    send(producer, "L-V2-X2", [edit(first), edit(second), enrolment(pushing, second, [course("Q-V2-X2")]), edit(after)])
    tally = drain()
    assert (tally.count(Kind.APPLIED), tally.count(Kind.SKIPPED), tally.count(Kind.PARKED)) == (2, 2, 0)
    skipped = ("LearnerEdited", "skipped", "not in Smart Assessor (X2)")
    assert recorded(pushing, "L-V2-X2") == [
        skipped, skipped, ("LearnerEnrolled", "applied", None), ("LearnerEdited", "applied", None),
    ]  # fmt: skip
    uploaded = learner_in_sa(sa, "L-V2-X2")
    assert (uploaded["email"], uploaded["surname"]) == ("x2.after@example.org", "Second")
    assert list(courses_of(sa, "L-V2-X2")) == ["Q-V2-X2"] and parked(pushing) == []
    for name, value in process_env(config).items():
        if name.startswith("PICS_SYNC_"):
            monkeypatch.setenv(name, value)
    capsys.readouterr()
    cli.main(["status", "--side", "push", "--json"])  # exit 1 here: no consumer beats in this test
    shown = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert shown["parked"] == {"total": 0, "by_reason": []}
    assert not any("parked" in reason for reason in shown["reasons"]), shown["reasons"]


def test_y2_a_withdrawal_recorded_two_months_late_reaches_sa(
    pushing: Service, producer: EventProducer, drain: Callable[[], Tally], sa: SaSandboxProcess
) -> None:
    """Y2 v2: an aim withdrawn (status 3, outcome 3) two months after the learner's end reaches SA; a learner not Live is skipped "not live"."""
    today = date.today()
    ended = today - timedelta(days=62)  # before the calendar month before today: not Y1-eligible
    for ident, status in (("L-V2-Y2", "Live"), ("L-V2-ARCHIVED", "Archived")):
        learner, qualification = new_learner(42, ident), course(f"Q-{ident}", start=today - timedelta(days=400))
        withdrawn = {**learner, "programme_status": "Withdrawn", "end_date": ended, "system_status": status}
        assert ended < month_before(today)  # outside Y1's month: v1's gate skipped it "not eligible"
        late = aim_closed(withdrawn, qualification, 3, 3, actual_end_date=ended)
        send(producer, ident, [enrolment(pushing, learner, [qualification]), late])
    tally = drain()
    assert (tally.count(Kind.APPLIED), tally.count(Kind.SKIPPED)) == (3, 1)
    closed = courses_of(sa, "L-V2-Y2")["Q-L-V2-Y2"]
    assert (closed["status"], closed["completionStatus"], closed["outcome"]) == ("withdrawn", 3, 3)
    assert closed["actualEndDate"] == ended.isoformat()
    assert recorded(pushing, "L-V2-ARCHIVED")[-1] == ("IlrAimClosed", "skipped", "not live (Y2)")
    untouched = courses_of(sa, "L-V2-ARCHIVED")["Q-L-V2-ARCHIVED"]
    assert (untouched["status"], untouched["completionStatus"], untouched["actualEndDate"]) == (
        "in_training",
        None,
        None,
    )


def test_q1_a_dates_only_change_without_officers_keeps_sas_assessors(
    pushing: Service, producer: EventProducer, drain: Callable[[], Tally], sa: SaSandboxProcess
) -> None:
    """Q1 v2: with S15 on, a QualificationChanged of the dates carrying no officers leaves SA's assessor and second assessor as they were."""
    configure(pushing, **{"Push Changes to Qualification Assessors": "on", "Qualification Second Assessor Role": "IQA"})
    learner, qualification = new_learner(43, "L-V2-Q1"), course("Q-V2-Q1")
    main, iqa = officer("OFF-V2-MAIN", "Ada", "Main"), officer("OFF-V2-IQA", "Iris", "Quality")
    upload = enrolment(pushing, learner, [qualification], [("Main Officer", main), ("IQA", iqa)])
    moved = {**qualification, "start_date": qualification["start_date"] + timedelta(days=7),
             "planned_end_date": qualification["planned_end_date"] + timedelta(days=30)}  # fmt: skip
    dates = new_event("QualificationChanged", {"learner": learner, "qualification": moved, "officers": []},
                      changed_fields=["start_date", "planned_end_date"])  # fmt: skip
    send(producer, "L-V2-Q1", [upload, dates])
    assert drain().count(Kind.APPLIED) == 2
    held, assessors = courses_of(sa, "L-V2-Q1")["Q-V2-Q1"], assessor_ids(sa)
    assert (held["assessorId"], held["secondAssessorId"]) == (assessors["OFF-V2-MAIN"], assessors["OFF-V2-IQA"])
    assert (held["startDate"], held["plannedEndDate"]) == (
        moved["start_date"].isoformat(), moved["planned_end_date"].isoformat(),
    )  # fmt: skip
    assert calls(sa, PATCH_COURSE) == 1  # the dates went; no assessor was cleared


def test_u5_a_qualification_added_after_the_upload_is_enrolled_once(
    pushing: Service, config: RuntimeConfig, producer: EventProducer, drain: Callable[[], Tally], sa: SaSandboxProcess
) -> None:
    """U5 v2: a supported qualification added after the upload is enrolled by its QualificationChanged, once; a replay from the start (also forced) enrols nothing again."""
    learner, main = new_learner(44, "L-V2-U5"), officer("OFF-V2-U5", "Uma", "Main")
    officers = [("Main Officer", main)]
    upload = enrolment(pushing, learner, [course("Q-V2-U5-1")], officers)
    added = course("Q-V2-U5-2", ALSO_SUPPORTED)
    change = {"learner": learner, "qualification": added, "officers": [{"role": r, "officer": o} for r, o in officers]}
    later = {**added, "planned_end_date": added["planned_end_date"] + timedelta(days=14)}
    events = [
        upload,
        new_event("QualificationChanged", change),
        new_event("QualificationChanged", {**change, "qualification": later}),
    ]
    send(producer, "L-V2-U5", events)
    assert drain().count(Kind.APPLIED) == 3
    enrolled = courses_of(sa, "L-V2-U5")
    assert sorted(enrolled) == ["Q-V2-U5-1", "Q-V2-U5-2"] and calls(sa, ENROL) == 2
    new = enrolled["Q-V2-U5-2"]
    course_id = next(c["id"] for c in sa.courses() if c["qanCode"] == ALSO_SUPPORTED)
    assert (new["courseId"], new["startDate"]) == (course_id, added["start_date"].isoformat())
    assert (new["plannedEndDate"], new["assessorId"]) == (
        later["planned_end_date"].isoformat(),
        assessor_ids(sa)["OFF-V2-U5"],
    )
    for mode in (RunMode(), RunMode(force=True)):
        replay(config, pushing.ports, ReplayOptions("pics.learner", progress=False, mode=mode))
    assert sorted(courses_of(sa, "L-V2-U5")) == ["Q-V2-U5-1", "Q-V2-U5-2"]
    assert (calls(sa, ENROL), calls(sa, "POST /learners"), len(sa.learners())) == (2, 1, 1)


def test_x1_a_value_changed_back_after_a_toggle_reaches_sa(
    pushing: Service, producer: EventProducer, drain: Callable[[], Tally], sa: SaSandboxProcess
) -> None:
    """X1 v2: S7 on, email edited; S7 off, email edited back: SA holds PICS's email (v1 kept the other, keyed by the field set)."""
    learner = new_learner(45, "L-V2-X1")
    send(producer, "L-V2-X1", [enrolment(pushing, learner)])
    assert drain().count(Kind.APPLIED) == 1
    configure(pushing, **{"Update Learner Gender": "on"})
    send(producer, "L-V2-X1", [edit(learner, email="x1.toggled@example.org")])
    assert drain().count(Kind.APPLIED) == 1
    assert learner_in_sa(sa, "L-V2-X1")["email"] == "x1.toggled@example.org"
    configure(pushing, **{"Update Learner Gender": "off"})
    send(producer, "L-V2-X1", [edit(learner, email=learner["email"])])
    tally = drain()
    assert (tally.count(Kind.APPLIED), tally.sa_calls) == (1, 1)
    assert learner_in_sa(sa, "L-V2-X1")["email"] == learner["email"]


def test_a1_an_unknown_code_parks_naming_it(
    pushing: Service, producer: EventProducer, drain: Callable[[], Tally], sa: SaSandboxProcess
) -> None:
    """A1 v2: an aim closed with completion status 9, or outcome 7, parks naming the code (SA's course is not
    touched); an enrolment carrying an aim closed with status 5 uploads the learner without that course and
    reports it, naming the code, so nothing of the learner waits behind one bad code (X2 v2)."""
    for seed, ident, status, outcome in ((46, "L-V2-A1-STATUS", 9, None), (47, "L-V2-A1-OUTCOME", 2, 7)):
        learner, qualification = new_learner(seed, ident), course(f"Q-{ident}")
        send(
            producer,
            ident,
            [enrolment(pushing, learner, [qualification]), aim_closed(learner, qualification, status, outcome)],
        )
    closed_oddly = course("Q-L-V2-A1-ENROL", actual_end_date=date.today(), completion_status=5)
    send(producer, "L-V2-A1-ENROL", [enrolment(pushing, new_learner(48, "L-V2-A1-ENROL"), [closed_oddly])])
    tally = drain()
    assert (tally.count(Kind.APPLIED), tally.count(Kind.PARKED)) == (3, 2)
    assert parked(pushing) == [
        ("L-V2-A1-OUTCOME", "Park", "unknown outcome 7 (A1)"),
        ("L-V2-A1-STATUS", "Park", "unknown completion status 9 (A1)"),
    ]
    assert calls(sa, PATCH_COURSE) == 0 and "L-V2-A1-ENROL" in {r["misId"] for r in sa.learners()}
    assert courses_of(sa, "L-V2-A1-ENROL") == {}
    for ident in ("L-V2-A1-STATUS", "L-V2-A1-OUTCOME"):
        held = courses_of(sa, ident)[f"Q-{ident}"]
        assert (held["status"], held["completionStatus"], held["actualEndDate"]) == ("in_training", None, None)
