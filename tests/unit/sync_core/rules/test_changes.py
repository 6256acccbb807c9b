"""Pushed changes E1, G1, O1, Q1, Q2, A1, B1, B2, R1 and X2 (v2), run through the executor against an in-memory SA."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from sync_core.execute.executor import ExecutorPorts, execute
from sync_core.plan import Park, Plan, Report, Skip, Update
from sync_core.rules.breaks import plan_break_in_learning
from sync_core.rules.employer import plan_employer_changed
from sync_core.rules.officers import plan_learner_officers_changed
from sync_core.rules.organisation import plan_officer_edited, plan_organisation_edited
from sync_core.rules.qualification import plan_aim_closed, plan_qualification_changed
from sync_core.rules.refresh import plan_refresh_requested
from sync_core.settings import IntegrationSettings, Mode
from tests.unit.fakes import HASH_KEY, FakeSa, FakeState
from tests.unit.sync_core.rules.builders import TODAY, learner, officer, organisation, qualification, roles

ON = IntegrationSettings(integration_enabled=True)


def world() -> tuple[FakeSa, FakeState]:
    """SA holding learner L1 (g-L1) enrolled on Q1 (enrolment 9001) with assessor 55 for OFF1."""
    sa, state = FakeSa(), FakeState()
    sa.learners["g-L1"] = {"id": "g-L1", "misId": "L1", "status": "active"}
    sa.enrolments["9001"] = {"id": 9001, "misId": "Q1", "learnerId": "g-L1", "status": "in_training"}
    sa.assessors["55"] = {"id": 55, "misId": "OFF1"}
    state.links.update({("learner", "L1"): "g-L1", ("enrolment", "Q1"): "9001", ("assessor", "OFF1"): "55"})
    return sa, state


def run(rule: Any, payload: dict[str, Any], settings: IntegrationSettings) -> tuple[FakeSa, FakeState, Plan]:
    sa, state = world()
    plan = rule(payload, settings, state, TODAY)
    execute(plan, ExecutorPorts(sa, state, state, state, state, hash_key=HASH_KEY))
    return sa, state, plan


@pytest.mark.parametrize(
    ("settings", "moved"),
    [
        pytest.param(ON, False, id="E1-S13-off-sa-unchanged"),
        pytest.param(replace(ON, push_employer_changes=True), True, id="E1-S13-on-new-employer"),
    ],
)
def test_e1_employer_change_follows_s13(settings: IntegrationSettings, moved: bool) -> None:
    """E1: with S13 on the learner's SA employer becomes the new placement's (linked/created by U2)."""
    sa, _, _ = run(
        plan_employer_changed,
        {"learner": learner(), "placement": organisation(organisation_id="ORG2")},
        settings,
    )
    employer_id = sa.learners["g-L1"].get("employerId")
    assert (employer_id is not None) == moved
    if moved:
        assert sa.employers[str(employer_id)]["misId"] == "ORG2"


@pytest.mark.parametrize(
    ("mode", "pushed"),
    [
        pytest.param(Mode.PUSH, True, id="G1-push-sets-employer-fields"),
        pytest.param(Mode.NONE, False, id="G1-none-sends-nothing"),
        pytest.param(Mode.PULL, False, id="G1-pull-sends-nothing"),
    ],
)
def test_g1_organisation_edit_follows_s12(mode: Mode, pushed: bool) -> None:
    """G1: with S12 = Push U2's organisation fields are set on the linked SA employer."""
    sa, state = world()
    sa.employers["77"] = {"id": 77, "misId": "ORG1", "name": "Old name"}
    plan = plan_organisation_edited(
        {"organisation": organisation(additional_id="77", name="New name")},
        replace(ON, organisation_mode=mode),
        state,
        TODAY,
    )
    execute(plan, ExecutorPorts(sa, state, state, state, state, hash_key=HASH_KEY))
    assert (sa.employers["77"]["name"] == "New name") == pushed
    if pushed:
        assert sa.employers["77"]["edrsNumber"] == "123456" and sa.employers["77"]["employerSize"] == "50-249"


@pytest.mark.parametrize(
    ("mode", "pushed"),
    [
        pytest.param(Mode.PUSH, True, id="O1-push-sets-assessor-fields"),
        pytest.param(Mode.NONE, False, id="O1-none-sends-nothing"),
        pytest.param(Mode.PULL, False, id="O1-pull-sends-nothing"),
    ],
)
def test_o1_officer_edit_follows_s10(mode: Mode, pushed: bool) -> None:
    """O1: with S10 = Push U3's officer fields are set on the linked SA assessor."""
    sa, _, _ = run(
        plan_officer_edited,
        {"officer": officer("OFF1", email="new@example.org")},
        replace(ON, officer_mode=mode),
    )
    assert (sa.assessors["55"].get("email") == "new@example.org") == pushed


def test_o1_unlinked_officer_is_skipped() -> None:
    """O1: an officer with no SA assessor has nothing to update."""
    _, _, plan = run(plan_officer_edited, {"officer": officer("OFF9")}, replace(ON, officer_mode=Mode.PUSH))
    assert plan == (Skip("not linked to a Smart Assessor assessor", rule="O1"),)


def changed_qualification(**changes: Any) -> dict[str, Any]:
    return {
        "learner": learner(),
        "qualification": qualification("Q1", **changes),
        "officers": roles(Main_Officer=officer("OFF1"), IQA=officer("OFF2")),
    }


@pytest.mark.parametrize(
    ("settings", "assessor_changed"),
    [
        pytest.param(replace(ON, qualification_dates_mode=Mode.PULL), False, id="Q1-S15-off-assessor-unchanged"),
        pytest.param(
            replace(ON, push_assessor_changes=True, second_assessor_role="IQA"),
            True,
            id="Q1-S15-on-assessors-set",
        ),
    ],
)
def test_q1_assessor_change_follows_s15(settings: IntegrationSettings, assessor_changed: bool) -> None:
    """Q1: with S15 on the course's assessor and second assessor become the qualification's."""
    sa, _, plan = run(plan_qualification_changed, changed_qualification(assessor=officer("OFF3")), settings)
    course = sa.enrolments["9001"]
    assert ("assessorId" in course) == assessor_changed
    if assessor_changed:
        by_mis = {a["misId"]: a["id"] for a in sa.assessors.values()}
        assert (course["assessorId"], course["secondAssessorId"]) == (by_mis["OFF3"], by_mis["OFF2"])
    else:
        assert plan == (Skip("qualification changes are not pushed (S15 off, S16 pulls)", rule="Q1"),)


@pytest.mark.parametrize(
    ("mode", "dates_set"),
    [
        pytest.param(Mode.PUSH, True, id="Q2-push-sets-dates"),
        pytest.param(Mode.PULL, False, id="Q2-pull-sends-no-dates"),
    ],
)
def test_q2_dates_follow_s16(mode: Mode, dates_set: bool) -> None:
    """Q2: with S16 = Push the course's Start Date and Planned End Date are set."""
    sa, _, _ = run(
        plan_qualification_changed,
        changed_qualification(planned_end_date=date(2028, 1, 31)),
        replace(ON, qualification_dates_mode=mode),
    )
    assert (sa.enrolments["9001"].get("plannedEndDate") == "2028-01-31") == dates_set


def test_q_unsupported_qualification_is_skipped() -> None:
    """U5: a change of a qualification SA does not support is skipped, saying so (not "has no course")."""
    _, _, plan = run(plan_qualification_changed, {**changed_qualification(), "qualification": qualification("Q9")}, ON)
    assert plan == (Skip("qualification 60312345 is not supported in SA", rule="U5"),)


@pytest.mark.parametrize(
    ("completion", "outcome", "status"),
    [
        pytest.param(2, 1, "completed", id="A1-completed-achieved"),
        pytest.param(3, 3, "withdrawn", id="A1-withdrawn"),
        pytest.param(4, 8, "transferred", id="A1-transferred"),
        pytest.param(6, 8, "break_in_learning", id="A1-agreed-break"),
        pytest.param(1, 8, "in_training", id="A1-continuing"),
    ],
)
def test_a1_aim_closure_sets_course_status(completion: int, outcome: int, status: str) -> None:
    """A1: the course gets the actual end date, completion status, outcome and mapped status."""
    payload = {
        "learner": learner(),
        "qualification": qualification(
            "Q1", actual_end_date=date(2026, 11, 20), completion_status=completion, outcome=outcome
        ),
    }
    sa, _, _ = run(plan_aim_closed, payload, ON)
    course = sa.enrolments["9001"]
    assert (course["status"], course["completionStatus"], course["outcome"], course["actualEndDate"]) == (
        status,
        completion,
        outcome,
        "2026-11-20",
    )


def test_b1_break_start_sets_learner_and_courses_on_break() -> None:
    """B1: SA learner and each course PICS put on the break become break in learning."""
    start = date(2026, 11, 1)
    payload = {
        "learner": learner(programme_status="Break in learning"),
        "phase": "start",
        "break_date": start,
        "qualifications": [qualification("Q1", completion_status=6, actual_end_date=start)],
    }
    sa, _, _ = run(plan_break_in_learning, payload, ON)
    assert sa.learners["g-L1"]["status"] == "break_in_learning"
    assert (sa.enrolments["9001"]["status"], sa.enrolments["9001"]["actualEndDate"]) == (
        "break_in_learning",
        "2026-11-01",
    )


def test_b2_return_restores_learner_and_courses() -> None:
    """B2: on return the SA learner and those courses go back to in training."""
    payload = {
        "learner": learner(),
        "phase": "return",
        "break_date": date(2026, 11, 20),
        "qualifications": [qualification("Q1", completion_status=1)],
    }
    sa, _, _ = run(plan_break_in_learning, payload, ON)
    assert sa.learners["g-L1"]["status"] == "active"
    assert (sa.enrolments["9001"]["status"], sa.enrolments["9001"]["actualEndDate"]) == ("in_training", None)


def refresh_payload() -> dict[str, Any]:
    return {
        "learner": learner(programme_status="Withdrawn", email="r@example.org"),
        "placement": organisation(),
        "officers": roles(Main_Officer=officer("OFF1")),
        "qualifications": [qualification("Q1", planned_end_date=date(2028, 2, 1))],
    }


@pytest.mark.parametrize(
    ("settings", "expected_writes"),
    [
        pytest.param(replace(ON, qualification_dates_mode=Mode.PULL), [], id="R1-nothing-allowed-nothing-sent"),
        pytest.param(
            replace(ON, learner_mode=Mode.PUSH, qualification_dates_mode=Mode.PULL),
            ["update learner"],
            id="R1-details-with-S6-push",
        ),
        pytest.param(
            replace(ON, qualification_dates_mode=Mode.PUSH), ["update enrolment"], id="R1-dates-with-S16-push"
        ),
        pytest.param(
            replace(ON, push_employer_changes=True, qualification_dates_mode=Mode.PULL),
            ["create employer", "update learner"],
            id="R1-employer-with-S13",
        ),
    ],
)
def test_r1_refresh_pushes_what_the_settings_allow(settings: IntegrationSettings, expected_writes: list[str]) -> None:
    """R1 v2: a refresh runs the learner's whole push step against SA's records, even for a learner not in learning (Y2)."""
    sa, state = world()
    execute(plan_refresh_requested(refresh_payload(), settings, state, TODAY),
            ExecutorPorts(sa, state, state, state, state, hash_key=HASH_KEY), compare=True)  # fmt: skip
    assert [kind for kind, _ in sa.writes()] == expected_writes


@pytest.mark.parametrize(
    "rule",
    [
        pytest.param(plan_employer_changed, id="X2-employer-change"),
        pytest.param(plan_qualification_changed, id="X2-qualification-change"),
        pytest.param(plan_aim_closed, id="X2-aim-closed"),
        pytest.param(plan_break_in_learning, id="X2-break"),
        pytest.param(plan_refresh_requested, id="X2-refresh"),
        pytest.param(plan_learner_officers_changed, id="X2-officers-changed"),
    ],
)
def test_x2_v2_change_of_learner_not_in_sa_is_skipped(rule: Any) -> None:
    """X2 v2: a change of a learner with no SA id is skipped "not in Smart Assessor", never parked."""
    payload = {
        "learner": learner(learner_ident="L7", smart_assessor_id=None),
        "placement": organisation(),
        "qualification": qualification(),
        "qualifications": [qualification()],
        "officers": [],
        "phase": "start",
        "break_date": TODAY,
    }
    _, _, plan = run(rule, payload, replace(ON, push_employer_changes=True, push_assessor_changes=True))
    assert plan == (Skip("not in Smart Assessor", rule="X2"),)


def test_q1_v2_dates_only_change_never_clears_sa_assessors() -> None:
    """Q1 v2: with S15 on and no officer in PICS for a role, SA's assessor and second assessor stay as they are."""
    sa, state = world()
    sa.enrolments["9001"] |= {"assessorId": 55, "secondAssessorId": 56}
    payload = {
        "learner": learner(),
        "qualification": qualification("Q1", planned_end_date=date(2028, 3, 1)),
        "officers": [],
    }
    settings = replace(ON, push_assessor_changes=True, second_assessor_role="IQA")
    execute(
        plan_qualification_changed(payload, settings, state, TODAY),
        ExecutorPorts(sa, state, state, state, state, hash_key=HASH_KEY),
    )
    course = sa.enrolments["9001"]
    assert (course["assessorId"], course["secondAssessorId"], course["plannedEndDate"]) == (55, 56, "2028-03-01")


def test_q1_v2_role_nobody_holds_leaves_second_assessor() -> None:
    """Q1 v2: the Main Officer is set as assessor; S14's role held by nobody leaves SA's second assessor."""
    sa, state = world()
    sa.enrolments["9001"]["secondAssessorId"] = 56
    payload = {
        "learner": learner(),
        "qualification": qualification("Q1"),
        "officers": roles(Main_Officer=officer("OFF1")),
    }
    settings = replace(ON, push_assessor_changes=True, second_assessor_role="Skills Coach")
    execute(
        plan_qualification_changed(payload, settings, state, TODAY),
        ExecutorPorts(sa, state, state, state, state, hash_key=HASH_KEY),
    )
    assert (sa.enrolments["9001"]["assessorId"], sa.enrolments["9001"]["secondAssessorId"]) == (55, 56)


def officers_changed(**by_role: dict[str, Any]) -> dict[str, Any]:
    return {"learner": learner(), "officers": roles(**by_role), "qualifications": [qualification("Q1")]}


def test_q1_v2_learner_officers_changed_sets_every_course_and_the_learner() -> None:
    """Q1 v2: LearnerOfficersChanged (a new Main Officer) sets each course's assessor and the SA learner's own."""
    settings = replace(ON, push_assessor_changes=True, second_assessor_role="IQA")
    sa, _, _ = run(
        plan_learner_officers_changed, officers_changed(Main_Officer=officer("OFF7"), IQA=officer("OFF8")), settings
    )
    by_mis = {a["misId"]: a["id"] for a in sa.assessors.values()}
    course = sa.enrolments["9001"]
    assert (course["assessorId"], course["secondAssessorId"]) == (by_mis["OFF7"], by_mis["OFF8"])
    assert sa.learners["g-L1"]["assessorId"] == by_mis["OFF7"]


def test_q1_v2_learner_officers_changed_keeps_a_qualifications_own_assessor() -> None:
    """Q1 v2: a qualification with its own assessor keeps it when the Main Officer changes."""
    payload = officers_changed(Main_Officer=officer("OFF7")) | {
        "qualifications": [qualification("Q1", assessor=officer("OFF1"))]
    }
    sa, _, _ = run(plan_learner_officers_changed, payload, replace(ON, push_assessor_changes=True))
    assert sa.enrolments["9001"]["assessorId"] == 55


def test_q1_learner_officers_changed_follows_s15() -> None:
    """Q1: with S15 off a change of the learner's officers changes nothing in SA."""
    sa, _, plan = run(plan_learner_officers_changed, officers_changed(Main_Officer=officer("OFF7")), ON)
    assert plan == (Skip("assessor changes are not pushed (S15 off)", rule="Q1"),) and sa.writes() == []


def test_u5_v2_supported_qualification_added_after_upload_is_enrolled() -> None:
    """U5 v2: a QualificationChanged about a supported qualification with no SA enrolment enrols it, U5's fields."""
    sa, state = world()
    state.courses["60399999"] = "12"
    payload = {
        "learner": learner(),
        "qualification": qualification("Q5", "60399999", planned_end_date=date(2028, 6, 30)),
        "officers": roles(Main_Officer=officer("OFF1"), IQA=officer("OFF2")),
    }
    settings = replace(ON, second_assessor_role="IQA")
    execute(
        plan_qualification_changed(payload, settings, state, TODAY),
        ExecutorPorts(sa, state, state, state, state, hash_key=HASH_KEY),
    )
    (course,) = [e for e in sa.enrolments.values() if e["misId"] == "Q5"]
    by_mis = {a["misId"]: a["id"] for a in sa.assessors.values()}
    assert (course["courseId"], course["plannedEndDate"], course["assessorId"], course["secondAssessorId"]) == (
        12, "2028-06-30", 55, by_mis["OFF2"],
    )  # fmt: skip
    assert state.links[("enrolment", "Q5")] == str(course["id"])


def test_u5_v2_refresh_enrols_a_supported_qualification_missing_in_sa() -> None:
    """U5 v2 / R1: a refresh enrols a supported qualification that has no SA enrolment yet."""
    sa, state = world()
    state.courses["60399999"] = "12"
    payload = refresh_payload() | {"qualifications": [qualification("Q1"), qualification("Q5", "60399999")]}
    execute(plan_refresh_requested(payload, replace(ON, qualification_dates_mode=Mode.PULL), state, TODAY),
            ExecutorPorts(sa, state, state, state, state, hash_key=HASH_KEY))  # fmt: skip
    assert sorted(e["misId"] for e in sa.enrolments.values()) == ["Q1", "Q5"]


def test_a1_v2_late_closure_of_a_learner_who_ended_long_ago_is_applied() -> None:
    """A1 / Y2 v2: a withdrawal recorded months after the learner's end date still reaches SA."""
    payload = {
        "learner": learner(programme_status="Withdrawn", end_date=date(2026, 7, 31)),
        "qualification": qualification("Q1", actual_end_date=date(2026, 7, 31), completion_status=3, outcome=3),
    }
    sa, _, _ = run(plan_aim_closed, payload, ON)
    assert (sa.enrolments["9001"]["status"], sa.enrolments["9001"]["completionStatus"]) == ("withdrawn", 3)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        pytest.param({"completion_status": 5, "outcome": 1}, "unknown completion status 5", id="A1-v2-unknown-completion-status"),
        pytest.param({"completion_status": 2, "outcome": 4}, "unknown outcome 4", id="A1-v2-unknown-outcome"),
    ],
)  # fmt: skip
def test_a1_v2_unknown_code_parks_naming_it(changes: dict[str, Any], reason: str) -> None:
    """A1 v2: a code outside DOMAIN.md's lists is refused (parked, naming it), never mapped to In Training."""
    payload = {"learner": learner(), "qualification": qualification("Q1", actual_end_date=TODAY, **changes)}
    sa, _, plan = run(plan_aim_closed, payload, ON)
    assert plan == (Park(reason, rule="A1"),)
    assert sa.enrolments["9001"]["status"] == "in_training" and "completionStatus" not in sa.enrolments["9001"]


NOT_LIVE_PAYLOAD = {
    "learner": learner(system_status="Archived"),
    "placement": organisation(),
    "qualification": qualification(),
    "qualifications": [qualification()],
    "officers": roles(Main_Officer=officer("OFF1")),
    "phase": "start",
    "break_date": TODAY,
}


@pytest.mark.parametrize(
    "rule",
    [
        pytest.param(plan_employer_changed, id="Y2-not-live-employer-change"),
        pytest.param(plan_qualification_changed, id="Y2-not-live-qualification-change"),
        pytest.param(plan_aim_closed, id="Y2-not-live-aim-closed"),
        pytest.param(plan_break_in_learning, id="Y2-not-live-break"),
        pytest.param(plan_refresh_requested, id="Y2-not-live-refresh"),
        pytest.param(plan_learner_officers_changed, id="Y2-not-live-officers-changed"),
    ],
)
def test_y2_v2_a_learner_not_live_is_skipped_by_every_change(rule: Any) -> None:
    """Y2 v2: whatever the change, a learner whose system status is not Live is skipped "not live"."""
    settings = replace(ON, push_employer_changes=True, push_assessor_changes=True)
    sa, _, plan = run(rule, NOT_LIVE_PAYLOAD, settings)
    assert plan == (Skip("not live", rule="Y2"),) and sa.writes() == []


def test_u5_v2_aim_closed_on_a_supported_course_not_yet_enrolled_is_skipped_saying_so() -> None:
    """U5 v2: an IlrAimClosed of a supported qualification with no SA enrolment is skipped, saying it is
    not enrolled yet (the next change, refresh or daily synchronisation enrols it with its closure)."""
    _sa, state = world()
    state.courses["60399999"] = "12"
    payload = {"learner": learner(), "qualification": qualification("Q5", "60399999", completion_status=2, outcome=1)}
    plan = plan_aim_closed(payload, ON, state, TODAY)
    assert plan == (Skip("qualification has no enrolment in Smart Assessor yet", rule="U5"),)


def test_q1_v2_officers_changed_without_a_main_officer_leaves_the_learners_assessor() -> None:
    """Q1 v2: a LearnerOfficersChanged with no Main Officer leaves the SA learner's assessor as it is."""
    sa, state = world()
    sa.learners["g-L1"]["assessorId"] = 55
    payload = officers_changed(IQA=officer("OFF2")) | {"qualifications": []}
    plan = plan_learner_officers_changed(payload, replace(ON, push_assessor_changes=True), state, TODAY)
    execute(plan, ExecutorPorts(sa, state, state, state, state, hash_key=HASH_KEY))
    assert plan == (Skip("the learner has no officer to set in Smart Assessor", rule="Q1"),)
    assert sa.learners["g-L1"]["assessorId"] == 55


def test_s14_v2_the_role_matches_whatever_its_case() -> None:
    """S14 v2 / U4: a role set before PICS held it ("skills coach") still finds PICS's "Skills Coach"."""
    settings = replace(ON, push_assessor_changes=True, second_assessor_role="skills coach")
    payload = changed_qualification() | {"officers": roles(Main_Officer=officer("OFF1"), Skills_Coach=officer("OFF9"))}
    sa, _, _ = run(plan_qualification_changed, payload, settings)
    by_mis = {a["misId"]: a["id"] for a in sa.assessors.values()}
    assert sa.enrolments["9001"]["secondAssessorId"] == by_mis["OFF9"]


def test_e1_a_change_to_no_placement_is_skipped() -> None:
    """E1: an EmployerChanged that leaves the learner with no placement changes nothing and says so."""
    payload = {"learner": learner(), "placement": None, "previous_organisation_id": "ORG1"}
    sa, _, plan = run(plan_employer_changed, payload, replace(ON, push_employer_changes=True))
    assert plan == (Skip("the learner has no placement", rule="E1"),) and sa.writes() == []


def test_r1_refresh_reports_an_unsupported_qualification() -> None:
    """U5 / R1: a refresh reports a qualification SA does not support, as the enrolment does."""
    payload = refresh_payload() | {"qualifications": [qualification("Q1"), qualification("Q9", "NOPE")]}
    _, _, plan = run(plan_refresh_requested, payload, replace(ON, qualification_dates_mode=Mode.PULL))
    assert Report("qualification NOPE is not supported in SA", rule="U5") in plan


def test_a1_v2_unknown_code_parks_even_before_the_course_is_enrolled() -> None:
    """A1 v2: the code is refused first, so a closure with an unknown code parks naming it, enrolled or not."""
    _sa, state = world()
    state.courses["60399999"] = "12"
    payload = {"learner": learner(), "qualification": qualification("Q5", "60399999", completion_status=9)}
    assert plan_aim_closed(payload, ON, state, TODAY) == (Park("unknown completion status 9", rule="A1"),)


@pytest.mark.parametrize("enrolled", [True, False], ids=["enrolled-course", "course-to-enrol"])
def test_a1_v2_r1_reports_a_refused_code_and_goes_on_with_the_learner(enrolled: bool) -> None:
    """A1 v2 / R1 / D1: in a refresh or the daily synchronisation a course with a refused code is reported, not
    parked: the learner's other fields and courses still go, and its next edits wait behind nothing."""
    _sa, state = world()
    state.courses["60399999"] = "12"
    bad = qualification("Q1") if enrolled else qualification("Q5", "60399999")
    payload = refresh_payload() | {"qualifications": [{**bad, "completion_status": 9}]}
    plan = plan_refresh_requested(payload, ON, state, TODAY)
    assert not any(isinstance(step, Park) for step in plan)
    left = "status not sent" if enrolled else "not enrolled"
    assert Report(f"qualification {bad['qualification_id']} {left}: unknown completion status 9", rule="A1") in plan
    assert any(isinstance(step, Update) and step.kind == "learner" for step in plan)
