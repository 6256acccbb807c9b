"""The daily pull's v2 rules through the real broker: SA (sandbox over HTTP) → sa.* topics → PICS updaters → PostgreSQL.

Contract (DOMAIN.md §5, v2; issue #13): an empty SA value never overwrites PICS (P13); a learner with
no Smart Coach score keeps its Risk, and a 404 from Smart Coach costs none of its other items (P8);
one malformed SA item is dropped alone and counted in the run, every other item and learner is
pulled and the run succeeds (P14); each learner of a group session gets its own review (P2); an
existing officer is linked, not duplicated (P5); Total Elements follows SA (P1).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from consumers.ops.daily_pull import PullOptions, daily_pull
from consumers.service import Service
from sandbox.pics.pull_seed import seed_pull_learners
from sandbox.sa.process import SaSandboxProcess
from sync_core.errors import ConfigurationError
from sync_core.outcome import Kind, Tally
from sync_core.pics.learners import LearnerRepository
from sync_core.pics.tables import PicsTables
from sync_core.state.pull_runs import PullRuns
from sync_core.state.settings_repo import SettingsRepository

pytestmark = pytest.mark.integration

TODAY = date.today()
DETAILS = {
    "date_of_birth": date(2001, 2, 3),
    "ni_number": "AB123456C",
    "postcode": "LS1 1AA",
    "email": "ada@example.org",
}
REVIEW = {"type": "Formal Review", "start": "2026-11-02T09:00:00Z", "durationMinutes": 45, "status": "attended"}


def pull(service: Service) -> dict[str, Any]:
    return daily_pull(service, PullOptions(run_date=TODAY, rate_per_s=2000, concurrency=8, progress=False))


def settings(service: Service, **values: str) -> None:
    """Set settings by id (``S6="pull"``), validated as the CLI does."""
    for name, value in values.items():
        SettingsRepository(service.pool).set(name, value)


def test_p13_sa_blanks_never_overwrite_pics_values(
    service: Service, sa: SaSandboxProcess, drain_pulled: Callable[[], Tally]
) -> None:
    """P13 with P7, P9–P11: SA's null and empty DOB, NI number, postcode, phone and course start leave PICS's values;
    the values SA does hold are pulled."""
    [learner] = seed_pull_learners(service.pool, sa, 1, "PB-")
    employer = service.sa.create_employer({"misId": "ORG-PB", "name": "Seacole Care Ltd", "postcode": ""})
    assessor = service.sa.create_assessor(
        {"misId": "OFF-PB", "firstName": "Florence", "surname": "N", "email": "fn@example.org", "phoneNumber": ""}
    )
    tables = PicsTables(service.pool)
    tables.upsert(
        "organisation", [{"id": "ORG-PB", "name": "Old", "postcode": "SE1 7EH", "additional_id": str(employer["id"])}]
    )
    tables.upsert("officer", [{"id": "OFF-PB", "first_name": "Flo", "surname": "N", "phone_number": "0113 496 0000",
                               "additional_id": str(assessor["id"])}])  # fmt: skip
    ident, sa_id = learner["learner_ident"], learner["smart_assessor_id"]
    tables.upsert("learner_officer", [{"learner_ident": ident, "role": "Main Officer", "officer_id": "OFF-PB"}])
    LearnerRepository(service.pool).upsert([{**learner, **DETAILS, "placement_organisation_id": "ORG-PB"}])
    tables.upsert("learner_qualification", [{"id": f"{ident}-Q1", "learner_ident": ident, "qualification_reference": "60305735",
                                             "start_date": date(2026, 9, 1)}])  # fmt: skip
    service.sa.update_learner(sa_id, {"surname": "Pulled", "dateOfBirth": None, "niNumber": "", "postcode": "  "})
    [enrolment] = service.sa.list_enrolments(sa_id)
    service.sa.update_enrolment(sa_id, enrolment["id"], {"startDate": None, "plannedEndDate": "2027-10-01"})
    settings(service, S6="pull", S10="pull", S12="pull", S16="pull")
    pull(service)
    assert drain_pulled().count(Kind.PARKED) == 0
    row = LearnerRepository(service.pool).get(ident)
    assert row is not None and row["surname"] == "Pulled"
    assert {name: row[name] for name in DETAILS} == DETAILS  # SA's email was null from the start: kept too
    [course] = tables.rows("learner_qualification", ident)
    assert (course["start_date"], course["planned_end_date"]) == (date(2026, 9, 1), date(2027, 10, 1))
    assert (tables.rows("organisation", "ORG-PB")[0]["name"], tables.rows("organisation", "ORG-PB")[0]["postcode"]) == (
        "Seacole Care Ltd", "SE1 7EH",
    )  # fmt: skip
    assert tables.rows("officer", "OFF-PB")[0]["phone_number"] == "0113 496 0000"


def test_p8_no_smart_coach_score_keeps_risk_and_every_other_item(
    service: Service, sa: SaSandboxProcess, drain_pulled: Callable[[], Tally]
) -> None:
    """P8 (v2): a learner not in Smart Coach (SA answers 404) or with no score yet keeps its Risk; its OTJ hours,
    progress and reviews are pulled all the same, and nothing is dropped or failed."""
    learners = seed_pull_learners(service.pool, sa, 3, "PC-")
    outside, unscored, scored = (learner["smart_assessor_id"] for learner in learners)
    LearnerRepository(service.pool).upsert([{**learner, "risk": "Yellow"} for learner in learners])
    activity = {"otjActualHours": 42.0, "sessions": [REVIEW]}
    sa.set_activity(outside, inSmartCoach=False, **activity)
    sa.set_activity(unscored, smartCoachScore=None, **activity)
    sa.set_activity(scored, smartCoachScore=0.1, **activity)
    summary = pull(service)
    assert (summary["learners_failed"], summary["items_dropped"]) == (0, 0)
    drain_pulled()
    rows = {row["learner_ident"]: row for row in LearnerRepository(service.pool).with_prefix("PC-")}
    assert [rows[learner["learner_ident"]]["risk"] for learner in learners] == ["Yellow", "Yellow", "Green"]
    assert {float(row["actual_otj_hours"]) for row in rows.values()} == {42.0}
    with service.pool.connection() as conn:
        reviewed = {r[0] for r in conn.execute("SELECT learner_ident FROM pics.review")}
    assert reviewed == set(rows)


def test_p14_one_malformed_item_is_dropped_alone_and_the_run_records_it(
    service: Service, sa: SaSandboxProcess, drain_pulled: Callable[[], Tally], monkeypatch: pytest.MonkeyPatch
) -> None:
    """P14: a bad date, a wrong type and an unknown status (as an SA could answer, and the sandbox never does)
    drop those items alone: the learner's other items and every later learner are pulled, the run succeeds and
    counts what it dropped."""
    learners = seed_pull_learners(service.pool, sa, 5, "PM-")
    bad = learners[1]["smart_assessor_id"]
    sa.set_activity(bad, sessions=[REVIEW, {**REVIEW, "start": "2026-11-09T09:00:00Z"}], otjActualHours=7.0)
    settings(service, S16="pull")
    malformed(monkeypatch, service, bad)
    summary = pull(service)
    assert (summary["status"], summary["learners_read"], summary["learners_failed"]) == ("succeeded", 5, 0)
    assert summary["items_dropped"] == 3 and summary["dropped_reasons"] == {
        "QualificationDatesPulled startDate: not a date": 1,
        "QualificationProgress elementsSignedOff: not a whole number": 1,
        "ReviewUpserted status: unknown value": 1,
    }
    assert PullRuns(service.pool).row(summary["id"])["items_dropped"] == 3
    assert drain_pulled().count(Kind.PARKED) == 0
    rows = {row["learner_ident"]: row for row in LearnerRepository(service.pool).with_prefix("PM-")}
    assert all(row["actual_otj_hours"] is not None and row["risk"] is not None for row in rows.values())
    with service.pool.connection() as conn:
        reviews = [r[0] for r in conn.execute("SELECT learner_ident FROM pics.review WHERE learner_ident = %s",
                                              (learners[1]["learner_ident"],))]  # fmt: skip
    assert len(reviews) == 1  # its other session still became a review


def malformed(monkeypatch: pytest.MonkeyPatch, service: Service, sa_id: str) -> None:
    """Make SA answer one learner's enrolment and one of its sessions malformed."""
    enrolments, sessions = service.sa.list_enrolments, service.sa.list_sessions

    def bad_enrolments(learner_id: str) -> list[dict[str, Any]]:
        found = enrolments(learner_id)
        if learner_id == sa_id:
            found = [{**e, "startDate": "31/02/2026", "elementsSignedOff": "5"} for e in found]
        return found

    def bad_sessions(learner_id: str) -> list[dict[str, Any]]:
        found = sessions(learner_id)
        return [{**found[0], "status": "no_show"}, *found[1:]] if learner_id == sa_id else found

    monkeypatch.setattr(service.sa, "list_enrolments", bad_enrolments)
    monkeypatch.setattr(service.sa, "list_sessions", bad_sessions)


def test_p2_each_learner_of_a_group_session_gets_its_own_review(
    service: Service, sa: SaSandboxProcess, drain_pulled: Callable[[], Tally]
) -> None:
    """P2 (v2): one SA session in three learners' lists becomes three reviews, each its learner's, matched again next run."""
    learners = seed_pull_learners(service.pool, sa, 3, "PG-")
    host, *others = (learner["smart_assessor_id"] for learner in learners)
    sa.set_activity(host, sessions=[{**REVIEW, "alsoLearnerIds": others}])
    for learner in others:
        sa.set_activity(learner, sessions=[])
    [session] = sa.sessions()
    pull(service)
    drain_pulled()
    pull(service)
    assert drain_pulled().pics_rows_changed == 0
    with service.pool.connection() as conn:
        reviews = sorted(
            conn.execute("SELECT learner_ident, smart_assessor_system_id, attended_status FROM pics.review")
        )
    assert reviews == [(learner["learner_ident"], str(session["id"]), "Attended") for learner in learners]


def test_p5_an_existing_officer_is_linked_not_duplicated(
    service: Service, sa: SaSandboxProcess, drain_pulled: Callable[[], Tally]
) -> None:
    """P5 (v2): the reviewer SA names is the PICS officer with the same Email (any case): linked, its Additional ID
    written, no officer or ASSO user made (S11 on); an unknown one is created once."""
    learners = seed_pull_learners(service.pool, sa, 2, "PO-")
    known = service.sa.create_assessor(
        {"misId": "X-1", "firstName": "Mary", "surname": "S", "email": "Mary@Example.org"}
    )
    new = service.sa.create_assessor({"misId": "X-2", "firstName": "Ada", "surname": "K", "email": "ada.k@example.org"})
    PicsTables(service.pool).upsert("officer", [{"id": "OFF-MARY", "first_name": "Mary", "surname": "S",
                                                 "email": "mary@example.ORG"}])  # fmt: skip
    settings(service, S11="on")
    sa.set_activity(learners[0]["smart_assessor_id"], sessions=[{**REVIEW, "assessorId": known["id"]}])
    sa.set_activity(learners[1]["smart_assessor_id"], sessions=[{**REVIEW, "assessorId": new["id"]}])
    pull(service)
    drain_pulled()
    with service.pool.connection() as conn:
        officers = sorted(conn.execute("SELECT id, additional_id FROM pics.officer"))
        asso = list(conn.execute("SELECT officer_id FROM pics.asso_user"))
        reviewers = sorted(conn.execute("SELECT learner_ident, reviewer_id FROM pics.review"))
    assert officers == [("OFF-MARY", str(known["id"])), (f"SA-{new['id']}", str(new["id"]))]
    assert asso == [(f"SA-{new['id']}",)]
    assert reviewers == [(learners[0]["learner_ident"], "OFF-MARY"), (learners[1]["learner_ident"], f"SA-{new['id']}")]


def test_p1_total_elements_follow_sa(service: Service, sa: SaSandboxProcess, drain_pulled: Callable[[], Tally]) -> None:
    """P1 (v2): Total Elements become SA's total even where PICS held one, so Elements Done never exceeds it."""
    [learner] = seed_pull_learners(service.pool, sa, 1, "PP-")
    ident, sa_id = learner["learner_ident"], learner["smart_assessor_id"]
    tables = PicsTables(service.pool)
    tables.upsert("learner_qualification", [{"id": f"{ident}-Q1", "learner_ident": ident, "qualification_reference": "60305735",
                                             "elements_done": 2, "total_elements": 10}])  # fmt: skip
    [enrolment] = service.sa.list_enrolments(sa_id)
    sa.set_activity(sa_id, progress=[{"enrolmentId": enrolment["id"], "elementsSignedOff": 14, "elementsTotal": 25}])
    pull(service)
    drain_pulled()
    [course] = tables.rows("learner_qualification", ident)
    assert (course["elements_done"], course["total_elements"]) == (14, 25)


def test_p14_a_run_that_cannot_go_on_is_marked_failed(service: Service, sa: SaSandboxProcess) -> None:
    """P14: a run stopped by what no item can get past (SA refusing our credentials) is recorded as failed, not left
    running, and `--resume` carries on that same run."""
    seed_pull_learners(service.pool, sa, 3, "PF-")
    sa.revoke_credentials()
    with pytest.raises(ConfigurationError):
        pull(service)
    failed = PullRuns(service.pool).latest()
    assert failed is not None and failed["status"] == "failed"
    sa.reset()
    seed_pull_learners(service.pool, sa, 3, "PF2-")
    resumed = daily_pull(service, PullOptions(run_date=TODAY, resume=True, rate_per_s=2000, progress=False))
    assert (resumed["id"], resumed["status"]) == (failed["id"], "succeeded")
