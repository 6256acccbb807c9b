"""The daily synchronisation of differences end to end: the real broker, PostgreSQL and the SA sandbox over HTTP.

Contract (DOMAIN.md §5b, R1 v2, S1 v2): the daily run compares each eligible learner's SA record with
PICS under the settings and repairs what drifted: a hand edit in SA is pulled into PICS under
"Update PICS from Smart Assessor Data" and left alone under None (D1); what PICS changed while the
integration was off reaches SA at the first run after it is on again (S1 v2); a qualification that
became supported is enrolled once, and an SA enrolment PICS has no qualification for is reported and
kept, every run (D2); every difference is recorded by name (D3); a repair never lands under a newer
PICS edit, whichever of the two comes first on the learner's key (D5); a refresh on the day of the
nightly pull brings the day's new SA items with event ids of its own (R1 v2); and no path makes a
second SA record of a PICS record (D6).
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
from consumers.service import Service, open_service
from sandbox.pics.people import Organisations, People
from sandbox.pics.pull_seed import seed_pull_learners
from sandbox.sa.catalogue import DEFAULT_CATALOGUE
from sandbox.sa.process import SaSandboxProcess
from sync_core.config import RuntimeConfig
from sync_core.outcome import Kind, Tally
from sync_core.pics.learners import LearnerRepository
from sync_core.state.settings_repo import SettingsRepository
from tests.learners import ALSO_SUPPORTED, SUPPORTED, course, edited_in_pics, officer, recorded_enrolment, send
from tests.scenarios.world import drain_in_process
from tests.support import duplicate_sa_records, process_env, sa_writes_recorded

pytestmark = pytest.mark.integration

TODAY = date.today()
MODE, PUSH, PULL = (
    "Update Learner Demographics Mode",
    "Push PICS Data to Smart Assessor",
    "Update PICS from Smart Assessor Data",
)
LINKED = {"Integration Enabled": "on", "Push Changes to Learner Employer": "on",
          "Push Changes to Qualification Assessors": "on"}  # fmt: skip
HAND = {"email": "typed.in.sa@example.org", "surname": "Handedit"}  # an SA user's edit, SA's field names
Row = tuple[Any, ...]


@pytest.fixture
def in_process(config: RuntimeConfig, monkeypatch: pytest.MonkeyPatch) -> None:
    """`pics-sync` run in-process uses this test's broker, database, sandbox and topics."""
    for name, value in process_env(config).items():
        if name.startswith("PICS_SYNC_"):
            monkeypatch.setenv(name, value)


def enrolled(
    service: Service, producer: EventProducer, drain: Callable[[], Tally], ident: str, *references: str
) -> dict[str, Any]:
    """A learner uploaded by its LearnerEnrolled (U1–U5) with a placement, a Main Officer and a course of each
    reference (``SUPPORTED`` by default), its whole record in PICS; as PICS holds it after (U8)."""
    people = People(15)
    learner = {**people.learner(ident), "smart_assessor_id": None}
    placement = Organisations(people).organisation(f"ORG-{ident}")
    main = ("Main Officer", officer(f"OFF-{ident}", "Kim", "Nine"))
    courses = [course(f"{ident}-Q{n}", ref) for n, ref in enumerate(references or (SUPPORTED,))]
    send(producer, ident, [recorded_enrolment(service, learner, courses, [main], placement)])
    assert drain().count(Kind.APPLIED) == 1
    row = LearnerRepository(service.pool).get(ident)
    assert row is not None and row["smart_assessor_id"]
    return {**learner, "smart_assessor_id": row["smart_assessor_id"]}


def nightly(service: Service) -> dict[str, Any]:
    """The daily run (pull daily) of today: its summary."""
    return daily_pull(service, PullOptions(run_date=TODAY, rate_per_s=2000, concurrency=8, progress=False))


def drift_of(service: Service, ident: str) -> list[Row]:
    """(run, entity, field, direction, action) of the differences recorded about the learner or its records."""
    query = (
        "SELECT run_id, entity, field, direction, action FROM sync.drift WHERE pics_id = %(ident)s"
        " OR pics_id LIKE %(ident)s || '-Q%%' OR event_id IN (SELECT event_id::text FROM sync.processed_events"
        " WHERE key = %(ident)s) ORDER BY id"
    )
    with psycopg.connect(service.config.database_url.get_secret_value()) as conn:
        return [tuple(row) for row in conn.execute(query, {"ident": ident})]


def ledger(service: Service, ident: str, event_type: str) -> list[Row]:
    """(outcome, reason) of the learner's events of one type, in the order recorded."""
    query = (
        "SELECT outcome, reason FROM sync.processed_events WHERE key = %s AND event_type = %s"
        ' ORDER BY processed_at, "offset"'
    )
    with psycopg.connect(service.config.database_url.get_secret_value()) as conn:
        return [tuple(row) for row in conn.execute(query, (ident, event_type))]


def patches_since(sa: SaSandboxProcess, seq: int, sa_id: str) -> int:
    """How many writes SA received to the learner's own record after call ``seq`` (SA's call log)."""
    log = sa.calls(since=seq)["log"]
    return sum(1 for c in log if (c["method"], c["route"], c["resource_id"]) == ("PATCH", "/learners/{id}", sa_id))


def last_seq(sa: SaSandboxProcess) -> int:
    """The sequence number of the last call SA received."""
    return max((call["seq"] for call in sa.calls()["log"]), default=0)


def details(record: dict[str, Any]) -> dict[str, Any]:
    """An SA learner record without its timestamps."""
    return {k: v for k, v in record.items() if k not in ("createdAt", "updatedAt", "modifiedAt")}


# --- D1 under S6: Update PICS from Smart Assessor Data, and None ---


@pytest.fixture
def hand_edited_under_pull(
    service: Service,
    producer: EventProducer,
    drain: Callable[[], Tally],
    drain_pulled: Callable[[], Tally],
    sa: SaSandboxProcess,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], int]:
    """S6 = Update PICS…: a learner in step, then hand-edited in SA, then the daily run and both consumers.
    (learner, SA's record after the hand edit, the run's summary, the last SA call before the run)."""
    SettingsRepository(service.pool).set_many(LINKED | {MODE: PULL})
    learner = enrolled(service, producer, drain, "L-D1-PULL")
    edited = service.sa.update_learner(learner["smart_assessor_id"], HAND)
    before = last_seq(sa)
    summary = nightly(service)
    # The reconcile first, while PICS still holds its own values: the order in which a push back would show.
    assert drain().count(Kind.PARKED) == 0
    assert drain_pulled().count(Kind.PARKED) == 0
    return learner, edited, summary, before


def test_d1_under_update_pics_an_sa_hand_edit_is_pulled_and_not_pushed_back(
    service: Service,
    sa: SaSandboxProcess,
    hand_edited_under_pull: tuple[dict[str, Any], dict[str, Any], dict[str, Any], int],
) -> None:
    """D1 (P9) with S6 = "Update PICS from Smart Assessor Data": the daily run pulls an SA hand edit of the
    learner's details into PICS and writes nothing back: SA is as it was edited. D6: one SA record each."""
    learner, edited, _summary, before = hand_edited_under_pull
    sa_id = learner["smart_assessor_id"]
    row = LearnerRepository(service.pool).get(learner["learner_ident"])
    assert row is not None and (row["email"], row["surname"]) == (HAND["email"], HAND["surname"])
    assert row["first_name"] == learner["first_name"]  # what SA did not change stays PICS's
    assert details(service.sa.get_learner(sa_id)) == details(edited)
    assert patches_since(sa, before, sa_id) == 0
    assert duplicate_sa_records(service, sa) == {}


def test_d3_a_pulled_difference_is_recorded_as_pulled_under_the_run(
    service: Service, hand_edited_under_pull: tuple[dict[str, Any], dict[str, Any], dict[str, Any], int]
) -> None:
    """D3 (pull direction): each field the daily run pulled from SA's hand edit is recorded once, by name, under
    the run, as pulled."""
    learner, _edited, summary, _before = hand_edited_under_pull
    found = [row for row in drift_of(service, learner["learner_ident"]) if row[1] == "learner"]
    assert sorted(found) == [(summary["id"], "learner", name, "pull", "pulled") for name in sorted(HAND)]


def test_d1_under_none_an_sa_hand_edit_is_left_alone_and_not_reported(
    service: Service,
    producer: EventProducer,
    drain: Callable[[], Tally],
    drain_pulled: Callable[[], Tally],
    sa: SaSandboxProcess,
) -> None:
    """D1 with S6 = None: learner details are neither compared nor changed: SA keeps its hand edit, PICS keeps
    its own values, and sync.drift records nothing of them. D6: one SA record each."""
    SettingsRepository(service.pool).set_many(LINKED | {MODE: "None"})
    learner = enrolled(service, producer, drain, "L-D1-NONE")
    sa_id = learner["smart_assessor_id"]
    edited = service.sa.update_learner(sa_id, HAND)
    before = last_seq(sa)

    summary = nightly(service)
    drain()
    drain_pulled()

    assert summary["reconcile_requested"] == 1
    assert ledger(service, "L-D1-NONE", "ReconcileRequested") == [("applied", None)]
    assert details(service.sa.get_learner(sa_id)) == details(edited)
    assert patches_since(sa, before, sa_id) == 0
    row = LearnerRepository(service.pool).get("L-D1-NONE")
    assert row is not None and (row["email"], row["surname"]) == (learner["email"], learner["surname"])
    assert drift_of(service, "L-D1-NONE") == []
    assert duplicate_sa_records(service, sa) == {}


# --- S1 v2: an evening with the integration off is caught up ---


def test_s1_v2_an_evening_off_is_caught_up_by_the_next_daily_run(
    service: Service, producer: EventProducer, drain: Callable[[], Tally], sa: SaSandboxProcess
) -> None:
    """S1 v2: PICS edits made while Integration Enabled is off are recorded skipped "integration disabled" and SA
    keeps its values (so does a daily run that evening); once it is on, the next daily run sets SA to every one
    of them, recorded as pushed under that run. D6: one SA record each."""
    settings = SettingsRepository(service.pool)
    settings.set_many(LINKED | {MODE: PUSH})
    learner = enrolled(service, producer, drain, "L-S1-OFF")
    sa_id, sa_before = learner["smart_assessor_id"], service.sa.get_learner(learner["smart_assessor_id"])
    settings.set_many({"Integration Enabled": "off"})
    evening = [
        edited_in_pics(service, learner, email="evening@example.org"),
        edited_in_pics(service, {**learner, "email": "evening@example.org"}, phone_number="0113 496 0999"),
    ]
    send(producer, "L-S1-OFF", evening)
    drain()
    assert nightly(service)["status"] == "skipped"  # S1: nothing is pulled or compared while off
    assert details(service.sa.get_learner(sa_id)) == details(sa_before)

    settings.set_many({"Integration Enabled": "on"})
    summary = nightly(service)
    drain()

    assert ledger(service, "L-S1-OFF", "LearnerEdited") == [("skipped", "integration disabled (S1)")] * 2
    held = service.sa.get_learner(sa_id)
    assert (held["email"], held["phoneNumber"]) == ("evening@example.org", "0113 496 0999")
    assert sorted(drift_of(service, "L-S1-OFF")) == [
        (summary["id"], "learner", name, "push", "pushed") for name in ("email", "phoneNumber")
    ]
    assert duplicate_sa_records(service, sa) == {}


# --- D2: enrolments SA lacks, and enrolments PICS does not have ---


def test_d2_u5_a_qualification_supported_after_a_links_refresh_is_enrolled_once(
    config: RuntimeConfig,
    service: Service,
    producer: EventProducer,
    drain: Callable[[], Tally],
    sa: SaSandboxProcess,
    in_process: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """D2, U5 v2: a course SA's catalogue lacked at the upload is reported unsupported, by the daily run too; once
    SA offers it and `pics-sync qualifications refresh` has run, the next daily run enrols it, recorded as
    enrolled, and a later run enrols nothing more: SA has one enrolment on it. D6: one SA record each."""
    SettingsRepository(service.pool).set_many(LINKED | {MODE: PUSH})
    without = [c for c in DEFAULT_CATALOGUE if c["qanCode"] != ALSO_SUPPORTED]
    sa.set_courses(without)
    learner = enrolled(service, producer, drain, "L-D2-LATE", SUPPORTED, ALSO_SUPPORTED)
    unsupported = f"qualification {ALSO_SUPPORTED} is not supported in SA (U5)"
    nightly(service)
    drain()
    assert [reason for _outcome, reason in ledger(service, "L-D2-LATE", "LearnerEnrolled")] == [unsupported]
    assert ledger(service, "L-D2-LATE", "ReconcileRequested") == [("applied", unsupported)]

    [added] = [c for c in sa.set_courses([*without, *(c for c in DEFAULT_CATALOGUE if c not in without)])
               if c["qanCode"] == ALSO_SUPPORTED]  # fmt: skip
    assert cli.main(["qualifications", "refresh"]) == 0
    runs = []
    # The next nights' consumer: a running one reads the links again within a minute (QualificationLinks).
    with open_service(config) as next_night:
        for _night in range(2):
            runs.append(nightly(next_night)["id"])
            drain_in_process(next_night)

    sa_id = learner["smart_assessor_id"]
    courses = sorted(e["courseId"] for e in service.sa.list_enrolments(sa_id))
    assert courses.count(added["id"]) == 1 and len(courses) == 2
    assert sa.calls()["counts"]["POST /learners/{id}/courses"] == 2  # the upload's, and the repair's
    assert drift_of(service, "L-D2-LATE") == [(runs[0], "enrolment", "courseId", "push", "enrolled")]
    assert duplicate_sa_records(service, sa) == {}


def test_d2_an_sa_enrolment_pics_has_no_qualification_for_is_reported_and_kept_every_run(
    service: Service, producer: EventProducer, drain: Callable[[], Tally], sa: SaSandboxProcess
) -> None:
    """D2: an enrolment made directly in SA, on a course the learner has no PICS qualification for, is reported
    by each daily run (action reported, by name) and never deleted. D6: one SA record each."""
    SettingsRepository(service.pool).set_many(LINKED | {MODE: PUSH})
    learner = enrolled(service, producer, drain, "L-D2-STRAY")
    sa_id = learner["smart_assessor_id"]
    course_id = next(c["id"] for c in service.sa.list_courses() if c["qanCode"] == ALSO_SUPPORTED)
    stray = service.sa.enrol(sa_id, {"courseId": course_id, "misId": "SA-HAND-1", "startDate": "2026-01-05"})

    runs = []
    for _night in range(2):
        runs.append(nightly(service)["id"])
        drain()

    assert drift_of(service, "L-D2-STRAY") == [(run, "enrolment", "courseId", "push", "reported") for run in runs]
    reason = f"enrolment:{stray['id']} is none of the learner's PICS qualifications (D2)"
    assert ledger(service, "L-D2-STRAY", "ReconcileRequested") == [("applied", reason)] * 2
    assert stray["id"] in [e["id"] for e in service.sa.list_enrolments(sa_id)]
    assert duplicate_sa_records(service, sa) == {}


# --- R1 v2: a refresh on the day of the nightly pull ---

SESSION = {"type": "Formal Review", "start": "2026-11-02T09:00:00Z", "durationMinutes": 45, "status": "planned"}


def reviews(service: Service, ident: str) -> list[Row]:
    """(Smart Assessor System ID, attended status) of the learner's PICS reviews."""
    query = "SELECT smart_assessor_system_id, attended_status FROM pics.review WHERE learner_ident = %s ORDER BY 1"
    with service.pool.connection() as conn:
        return [tuple(row) for row in conn.execute(query, (ident,))]


def test_r1_v2_a_refresh_on_the_day_of_the_nightly_pull_brings_the_days_new_items(
    service: Service,
    sa: SaSandboxProcess,
    drain_pulled: Callable[[], Tally],
    in_process: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """R1 v2: after the nightly pull, a session added in SA and new OTJ hours reach PICS through `pics-sync refresh`
    the same day: its items have event ids of their own (none is a duplicate of the nightly's), and only the
    refreshed learner's PICS changes."""
    refreshed, other = seed_pull_learners(service.pool, sa, 2, "R1-")
    ident, sa_id = refreshed["learner_ident"], refreshed["smart_assessor_id"]
    sa.set_activity(sa_id, sessions=[SESSION], otjActualHours=10.0)
    sa.set_activity(other["smart_assessor_id"], sessions=[])
    nightly(service)
    drain_pulled()
    [(first, _status)] = reviews(service, ident)

    # The sandbox renumbers a learner's own sessions when they are set again: the day's new session is one
    # the other learner holds for both (a group session, P2), so the nightly's session keeps its id.
    new = {**SESSION, "start": "2026-11-03T14:00:00Z", "status": "attended", "alsoLearnerIds": [sa_id]}
    sa.set_activity(other["smart_assessor_id"], sessions=[new])
    sa.set_activity(sa_id, otjActualHours=12.5)
    capsys.readouterr()
    assert cli.main(["refresh", ident, "--json"]) == 0
    refresh = json.loads(capsys.readouterr().out.splitlines()[-1])
    tally = drain_pulled()

    [added] = [str(s["id"]) for s in sa.sessions() if str(s["id"]) != first]
    assert sorted(reviews(service, ident)) == sorted([(first, "Unknown"), (added, "Attended")])
    row = LearnerRepository(service.pool).get(ident)
    assert row is not None and float(row["actual_otj_hours"]) == 12.5
    assert (tally.count(Kind.DUPLICATE), tally.count(Kind.PARKED)) == (0, 0), refresh
    assert tally.count(Kind.APPLIED) == refresh["events"] >= 4  # progress, OTJ, both sessions: every one new
    assert reviews(service, other["learner_ident"]) == []  # its pull is the next night's


# --- D5: a PICS edit racing a repair ---

HAND_EMAIL, NEW_EDIT = "typed.by.hand@example.org", "newer.value@example.org"


@pytest.mark.parametrize("edit_first", [True, False], ids=["D5-edit-before-request", "D5-request-before-edit"])
def test_d5_a_repair_never_lands_under_a_newer_pics_edit(
    service: Service,
    producer: EventProducer,
    drain: Callable[[], Tally],
    sa: SaSandboxProcess,
    edit_first: bool,
) -> None:
    """D5: with a repair due (SA hand-edited), a daily run's reconcile request and a PICS edit of the same learner
    (its table updated first, as PICS does) are on the learner's key in either order; once drained SA holds the
    edit's value, and SA's writes of the field carried that value only, never the older one. D6: one SA record."""
    SettingsRepository(service.pool).set_many(LINKED | {MODE: PUSH})
    learner = enrolled(service, producer, drain, "L-D5")
    sa_id = learner["smart_assessor_id"]
    service.sa.update_learner(sa_id, {"email": HAND_EMAIL})  # the hand edit that makes a repair due
    before = last_seq(sa)

    with sa_writes_recorded(service) as writes:
        edit = edited_in_pics(service, learner, email=NEW_EDIT)
        if edit_first:
            send(producer, "L-D5", [edit])
        summary = nightly(service)  # its reconcile request, on the learner's key
        if not edit_first:
            send(producer, "L-D5", [edit])
        drain()

    assert service.sa.get_learner(sa_id)["email"] == NEW_EDIT
    assert writes.values_of("update_learner", sa_id, "email") == [NEW_EDIT]
    assert patches_since(sa, before, sa_id) == len([w for w in writes.writes if w.ids == (sa_id,)])  # all seen
    order = ["LearnerEdited", "ReconcileRequested"] if edit_first else ["ReconcileRequested", "LearnerEdited"]
    assert [ledger(service, "L-D5", kind)[-1][0] for kind in order] == ["applied", "applied"]
    repaired = [] if edit_first else [(summary["id"], "learner", "email", "push", "pushed")]
    assert drift_of(service, "L-D5") == repaired
    assert duplicate_sa_records(service, sa) == {}
