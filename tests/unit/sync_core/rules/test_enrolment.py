"""The learner upload at enrolment, U1–U10, run through the executor against an in-memory SA."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from sync_core.execute.executor import ExecutorPorts, execute
from sync_core.plan import Park, Plan, Report, Skip
from sync_core.rules.enrolment import plan_learner_enrolled
from sync_core.settings import IntegrationSettings, Mode
from tests.unit.fakes import HASH_KEY, FakeSa, FakeState
from tests.unit.sync_core.rules.builders import TODAY, learner, officer, organisation, qualification, roles

ON = IntegrationSettings(integration_enabled=True)


def enrolment(**changes: Any) -> dict[str, Any]:
    base = {
        "learner": learner(smart_assessor_id=None),
        "placement": organisation(),
        "officers": roles(Main_Officer=officer("OFF1"), IQA=officer("OFF2")),
        "qualifications": [qualification("Q1", "60312345"), qualification("Q2", "UNSUPPORTED")],
    }
    return {**base, **changes}


def run(payload: dict[str, Any], settings: IntegrationSettings = ON) -> tuple[FakeSa, FakeState, Plan]:
    sa, state = FakeSa(), FakeState(courses={"60312345": "7"})
    plan = plan_learner_enrolled(payload, settings, state, TODAY)
    execute(plan, ExecutorPorts(sa, state, state, state, state, hash_key=HASH_KEY))
    return sa, state, plan


def only(table: dict[str, dict[str, Any]]) -> dict[str, Any]:
    assert len(table) == 1, table
    return next(iter(table.values()))


def test_u1_learner_fields_and_mis_id() -> None:
    """U1: the SA learner carries PICS's learner fields, Start Date, and Learner Ident as MIS id."""
    sa, _, _ = run(enrolment())
    created = only(sa.learners)
    assert created["misId"] == "L1" and created["uln"] == "1234567890" and created["niNumber"] == "AB123456C"
    assert created["startDate"] == "2026-09-01" and created["dateOfBirth"] == "2001-02-03"


@pytest.mark.parametrize(
    ("settings", "student_id"),
    [
        pytest.param(ON, None, id="U1-S4-off-sends-no-student-id"),
        pytest.param(replace(ON, student_id_from_lrn=True), "LRN1", id="U1-S4-on-student-id-is-lrn"),
    ],
)
def test_u1_student_id_follows_s4(settings: IntegrationSettings, student_id: str | None) -> None:
    """U1/S4: Student ID = LRN only with S4 on."""
    sa, _, _ = run(enrolment(), settings)
    assert only(sa.learners).get("studentId") == student_id


def test_u2_employer_created_linked_and_written_back() -> None:
    """U2: the placement becomes an SA employer, linked, its id written to the Additional ID, set on the learner."""
    sa, state, _ = run(enrolment())
    employer = only(sa.employers)
    assert (
        employer["misId"] == "ORG1"
        and employer["edrsNumber"] == "123456"
        and employer["website"] == "https://acme.example"
    )
    assert state.written_back[("employer", "ORG1")] == str(employer["id"])
    assert only(sa.learners)["employerId"] == employer["id"]


def test_u3_main_officer_is_the_assessor() -> None:
    """U3: the Main Officer becomes the learner's SA assessor, linked and written back."""
    sa, state, _ = run(enrolment())
    main = next(a for a in sa.assessors.values() if a["misId"] == "OFF1")
    assert only(sa.learners)["assessorId"] == main["id"]
    assert state.written_back[("assessor", "OFF1")] == str(main["id"])


@pytest.mark.parametrize(
    ("role", "second"),
    [
        pytest.param(None, None, id="U4-no-role-no-second-assessor"),
        pytest.param("IQA", "OFF2", id="U4-role-officer-is-second-assessor"),
        pytest.param("Mentor", None, id="U4-role-nobody-holds"),
    ],
)
def test_u4_second_assessor_follows_s14(role: str | None, second: str | None) -> None:
    """U4: the officer in S14's role is each course's second assessor."""
    sa, _, _ = run(enrolment(), replace(ON, second_assessor_role=role))
    course = only(sa.enrolments)
    expected = None if second is None else next(a["id"] for a in sa.assessors.values() if a["misId"] == second)
    assert course["secondAssessorId"] == expected
    assert {a["misId"] for a in sa.assessors.values()} == {"OFF1"} | ({second} if second else set())


def test_u5_only_supported_qualifications_are_enrolled_and_others_reported() -> None:
    """U5: a supported qualification is enrolled with dates and assessor; an unsupported one is reported."""
    sa, _, plan = run(enrolment())
    course = only(sa.enrolments)
    assert course["courseId"] == 7 and course["misId"] == "Q1" and course["plannedEndDate"] == "2027-09-01"
    assert course["assessorId"] == next(a["id"] for a in sa.assessors.values() if a["misId"] == "OFF1")
    assert Report("qualification UNSUPPORTED is not supported in SA", rule="U5") in plan


def test_u5_qualification_assessor_wins_over_main_officer() -> None:
    """U5: a qualification with its own assessor enrols with that assessor."""
    sa, _, _ = run(enrolment(qualifications=[qualification(assessor=officer("OFF3"))]))
    assert only(sa.enrolments)["assessorId"] == next(a["id"] for a in sa.assessors.values() if a["misId"] == "OFF3")


def test_u5_no_supported_qualification_still_creates_the_learner() -> None:
    """U5: an enrolment with no supported qualification still creates the learner."""
    sa, _, _ = run(enrolment(qualifications=[qualification("Q9", "NOPE")]))
    assert len(sa.learners) == 1 and sa.enrolments == {}


def test_u6_planned_otj_hours_sent() -> None:
    """U6: Planned OTJ Hours go with the learner."""
    sa, _, _ = run(enrolment())
    assert only(sa.learners)["plannedOtjHours"] == 312.0


@pytest.mark.parametrize(
    ("settings", "welcome"),
    [
        pytest.param(ON, None, id="U7-S3-off-no-email"),
        pytest.param(replace(ON, send_welcome_email=True), True, id="U7-S3-on-welcome-email"),
    ],
)
def test_u7_welcome_email_follows_s3(settings: IntegrationSettings, welcome: bool | None) -> None:
    """U7: SA is asked to send the welcome email only with S3 on."""
    sa, _, _ = run(enrolment(), settings)
    assert only(sa.learners).get("sendWelcomeEmail") == welcome


def test_u8_sa_learner_id_written_back() -> None:
    """U8: the new SA learner id is written to the PICS learner's Smart Assessor ID."""
    sa, state, _ = run(enrolment())
    assert state.written_back[("learner", "L1")] == only(sa.learners)["id"]


@pytest.mark.parametrize(
    ("settings", "pushed"),
    [
        pytest.param(ON, None, id="U9-nothing-toggled-no-sync-push"),
        pytest.param(replace(ON, learner_mode=Mode.PUSH), None, id="U9-X1-details-just-uploaded-no-second-call"),
        pytest.param(replace(ON, send_disability=True), {"disability": "N"}, id="U9-disability-goes-out"),
        pytest.param(
            replace(ON, learner_mode=Mode.PUSH, sync_gender=True),
            {"gender": "F"},
            id="U9-gender-goes-out-with-push",
        ),
    ],
)
def test_u9_sync_step_runs_after_upload(settings: IntegrationSettings, pushed: dict[str, str] | None) -> None:
    """U9: right after the upload the learner's sync step pushes the toggled fields."""
    sa, _, _ = run(enrolment(), settings)
    updates = [c for c in sa.writes() if c[0] == "update learner"]
    assert bool(updates) == (pushed is not None)
    if pushed:
        assert pushed.items() <= only(sa.learners).items()


def test_u10_learner_already_in_sa_is_linked_not_created() -> None:
    """U10: an enrolment of a learner whose MIS id SA holds links to it."""
    sa, state = FakeSa(), FakeState(courses={"60312345": "7"})
    sa.learners["g-existing"] = {"id": "g-existing", "misId": "L1"}
    execute(
        plan_learner_enrolled(enrolment(), ON, state, TODAY),
        ExecutorPorts(sa, state, state, state, state, hash_key=HASH_KEY),
    )
    assert list(sa.learners) == ["g-existing"] and state.links[("learner", "L1")] == "g-existing"


def test_u10_enrolment_replayed_creates_nothing_new() -> None:
    """U10: the same enrolment planned and executed again makes no new record."""
    sa, state = FakeSa(), FakeState(courses={"60312345": "7"})
    for _ in range(2):
        execute(
            plan_learner_enrolled(enrolment(), ON, state, TODAY),
            ExecutorPorts(sa, state, state, state, state, hash_key=HASH_KEY),
        )
    assert (len(sa.learners), len(sa.employers), len(sa.assessors), len(sa.enrolments)) == (1, 1, 1, 1)


def test_y2_only_live_learners_are_uploaded() -> None:
    """Y2 v2: an enrolment of a learner who is not Live is skipped "not live"."""
    plan = plan_learner_enrolled(enrolment(learner=learner(system_status="Archived")), ON, FakeState(), TODAY)
    assert plan == (Skip("not live", rule="Y2"),)


@pytest.mark.parametrize(
    ("completion", "outcome", "status"),
    [
        pytest.param(2, 1, "completed", id="U5-v2-closed-completed-achieved"),
        pytest.param(3, 3, "withdrawn", id="U5-v2-closed-withdrawn"),
        pytest.param(4, 2, "transferred", id="U5-v2-closed-transferred"),
        pytest.param(6, 8, "break_in_learning", id="U5-v2-closed-on-break"),
    ],
)
def test_u5_v2_qualification_closed_at_upload_is_enrolled_with_its_closure(
    completion: int, outcome: int, status: str
) -> None:
    """U5 v2: a qualification PICS closed before the upload is enrolled with A1's fields and status."""
    closed = qualification("Q1", actual_end_date=date(2026, 6, 30), completion_status=completion, outcome=outcome)
    sa, _, _ = run(enrolment(qualifications=[closed]))
    course = only(sa.enrolments)
    assert (course["status"], course["completionStatus"], course["outcome"], course["actualEndDate"]) == (
        status, completion, outcome, "2026-06-30",
    )  # fmt: skip


def test_u5_v2_open_qualification_is_enrolled_without_closure_fields() -> None:
    """U5: a continuing qualification is enrolled as SA's default (no closure sent)."""
    sa, _, _ = run(enrolment(qualifications=[qualification("Q1")]))
    assert "completionStatus" not in only(sa.enrolments)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        pytest.param({"completion_status": 5}, "unknown completion status 5", id="A1-v2-unknown-status-at-upload"),
        pytest.param({"completion_status": 2, "outcome": 7}, "unknown outcome 7", id="A1-v2-unknown-outcome-at-upload"),
    ],
)
def test_a1_v2_unknown_code_at_upload_reports_that_course_and_uploads_the_rest(
    changes: dict[str, Any], reason: str
) -> None:
    """A1 v2 / X2 v2: a course with a code outside DOMAIN.md's lists is not enrolled and is reported, naming
    the code; the learner and its other courses still go, so nothing of the learner waits."""
    bad = qualification("Q1", actual_end_date=date(2026, 6, 30), **changes)
    sa, _, plan = run(enrolment(qualifications=[bad, qualification("Q3")]))
    assert Report(f"qualification Q1 not enrolled: {reason}", rule="A1") in plan
    assert not any(isinstance(step, Park) for step in plan)
    assert len(sa.learners) == 1 and [e["misId"] for e in sa.enrolments.values()] == ["Q3"]


@pytest.mark.parametrize(
    "role",
    [pytest.param("Skills Coach", id="S14-v2-provider-role"), pytest.param("IQA", id="S14-demo-role")],
)
def test_s14_v2_any_pics_role_names_the_second_assessor(role: str) -> None:
    """S14 v2 / U4: the officer in whatever role PICS names is each course's second assessor."""
    payload = enrolment(officers=roles(Main_Officer=officer("OFF1"), **{role.replace(" ", "_"): officer("OFF5")}))
    sa, _, _ = run(payload, replace(ON, second_assessor_role=role))
    by_mis = {a["misId"]: a["id"] for a in sa.assessors.values()}
    assert only(sa.enrolments)["secondAssessorId"] == by_mis["OFF5"]
