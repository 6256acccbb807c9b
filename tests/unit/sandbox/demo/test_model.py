"""The oracle's model of SA: DOMAIN v2's push rules folded over events, each expectation written out here."""

from __future__ import annotations

from datetime import date

import pytest

from sandbox.demo.model import APPLY, MAY_SKIP, SKIP, Ref
from tests.unit.sandbox.demo.builders import (
    NONE_ALL,
    PULL_ALL,
    PUSH_ALL,
    UNSUPPORTED,
    enrolled,
    fold,
    learner,
    officer,
    officers,
    organisation,
    qualification,
    sent,
)


def test_x2_edit_before_upload_is_skipped_and_the_upload_carries_the_latest_after_image() -> None:
    """X2 (v2): an edit of a learner not yet in SA is skipped; the enrolment then uploads its latest values (U1)."""
    edit = sent("LearnerEdited", {"learner": learner(first_name="Bea")})
    upload = enrolled(learner(first_name="Bea"))
    model = fold(PUSH_ALL, edit, upload)
    assert (model.fates[edit.event_id].expect, model.fates[edit.event_id].why) == (SKIP, "X2 not in Smart Assessor")
    assert model.learners["L1"].fields["firstName"] == "Bea"


def test_u1_s6_none_keeps_the_upload_values_though_pics_was_edited() -> None:
    """L5 / U1: with S6 = None an edit changes nothing in SA; the event may be skipped."""
    edit = sent("LearnerEdited", {"learner": learner(first_name="Bea", uln="9999999999")})
    model = fold(NONE_ALL, enrolled(learner()), edit)
    assert model.fates[edit.event_id].expect == MAY_SKIP
    assert (model.learners["L1"].fields["firstName"], model.learners["L1"].fields["uln"]) == ("Ann", "1234567890")


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param(PUSH_ALL, {"firstName": "Bea", "uln": "9999999999", "studentId": "LRN200", "gender": "M", "disability": "Y"}, id="L1-L4-push-sends-all"),
        pytest.param(PULL_ALL, {"firstName": "Ann", "uln": "9999999999", "studentId": None, "gender": None, "disability": None}, id="L2-v2-pull-pushes-uln-only"),
        pytest.param(NONE_ALL | {"Send Learner Disability": "on"}, {"firstName": "Ann", "uln": "1234567890", "disability": "Y"}, id="L4-disability-whatever-S6"),
    ],
)  # fmt: skip
def test_learner_fields_pushed_by_setting(values: dict[str, str], expected: dict[str, object]) -> None:
    """L1–L5: the SA learner after an edit of name, ULN, LRN, gender and disability."""
    edit = learner(first_name="Bea", uln="9999999999", lrn="LRN200", gender="M", disability="Y")
    model = fold(values, enrolled(learner()), sent("LearnerEdited", {"learner": edit}))
    assert {name: model.learners["L1"].fields[name] for name in expected} == expected


def test_e1_s13_off_keeps_the_upload_employer_and_on_moves_it() -> None:
    """E1: the learner's SA employer follows its placement only with S13 on."""
    change = {"learner": learner(), "placement": organisation("ORG2"), "previous_organisation_id": "ORG1"}
    off = fold(NONE_ALL, enrolled(learner()), sent("EmployerChanged", change))
    on = fold(PUSH_ALL, enrolled(learner()), sent("EmployerChanged", change))
    assert off.learners["L1"].fields["employerId"] == Ref("employer", "ORG1") and "ORG2" not in off.employers
    assert on.learners["L1"].fields["employerId"] == Ref("employer", "ORG2")


def test_q1_v2_an_assessor_pics_has_no_officer_for_is_never_cleared() -> None:
    """Q1 (v2): the IQA leaves; the course keeps its second assessor; a new Main Officer is set everywhere."""
    course = qualification("L1-Q0")
    change = {"learner": learner(), "officers": officers(main=officer("M2")), "qualifications": [course]}
    model = fold(PUSH_ALL, enrolled(learner(), [course]), sent("LearnerOfficersChanged", change))
    enrolment = model.learners["L1"].courses["L1-Q0"]
    assert (enrolment["assessorId"], enrolment["secondAssessorId"]) == (Ref("assessor", "M2"), Ref("assessor", "I1"))
    assert model.learners["L1"].fields["assessorId"] == Ref("assessor", "M2") and "M2" in model.assessors


def test_q1_a_qualification_s_own_assessor_wins_over_the_main_officer() -> None:
    """U5 / Q1: the course's assessor is the qualification's own, else the Main Officer."""
    own = qualification("L1-Q0", assessor=officer("A9"))
    model = fold(PUSH_ALL, enrolled(learner(), [own, qualification("L1-Q1")]))
    courses = model.learners["L1"].courses
    assert (courses["L1-Q0"]["assessorId"], courses["L1-Q1"]["assessorId"]) == (
        Ref("assessor", "A9"),
        Ref("assessor", "M1"),
    )


def test_u5_v2_closed_at_upload_added_later_and_unsupported() -> None:
    """U5 (v2): a closed aim goes up with its closure; one added later is enrolled by its QualificationChanged; an
    unsupported one never."""
    closed = qualification("L1-Q0", actual_end_date=date(2025, 1, 31), completion_status=3, outcome=3)
    added, other = qualification("L1-N1"), qualification("L1-N2", UNSUPPORTED)
    events = [enrolled(learner(), [closed])]
    events += [sent("QualificationChanged", {"learner": learner(), "qualification": q, "officers": officers(main=officer("M1"))}) for q in (added, other)]  # fmt: skip
    model = fold(NONE_ALL, *events)
    courses = model.learners["L1"].courses
    assert (courses["L1-Q0"]["status"], courses["L1-Q0"]["completionStatus"], courses["L1-Q0"]["outcome"]) == (
        "withdrawn",
        3,
        3,
    )
    assert courses["L1-Q0"]["actualEndDate"] == "2025-01-31"
    assert set(courses) == {"L1-Q0", "L1-N1"} and model.fates[events[2].event_id].expect == MAY_SKIP


@pytest.mark.parametrize(
    ("status", "course_status"),
    [(1, "in_training"), (2, "completed"), (3, "withdrawn"), (4, "transferred"), (6, "break_in_learning")],
    ids=["A1-1-in-training", "A1-2-completed", "A1-3-withdrawn", "A1-4-transferred", "A1-6-break"],
)
def test_a1_a_late_closure_applies_with_its_status(status: int, course_status: str) -> None:
    """A1 / Y2 (v2): an aim closed long after the learner ended still reaches SA, its status from the table."""
    ended = learner(programme_status="Completed", end_date=date(2024, 1, 31))
    closure = qualification("L1-Q0", actual_end_date=date(2024, 1, 31), completion_status=status, outcome=8)
    closing = sent("IlrAimClosed", {"learner": ended, "qualification": closure})
    model = fold(NONE_ALL, enrolled(ended), closing)
    assert model.fates[closing.event_id].expect == APPLY
    assert model.learners["L1"].courses["L1-Q0"]["status"] == course_status


def test_y2_events_of_a_learner_no_longer_live_are_skipped_and_change_nothing() -> None:
    """Y2 (v2): once not Live, the learner's events are skipped "not live"; SA keeps the last applied values."""
    gone = sent("LearnerEdited", {"learner": learner(system_status="Archived", first_name="Bea")})
    model = fold(PUSH_ALL, enrolled(learner()), gone)
    assert model.fates[gone.event_id].why == "Y2 not live" and model.learners["L1"].fields["firstName"] == "Ann"


def test_s1_off_skips_everything_even_an_enrolment() -> None:
    """S1: while the integration is off every event is skipped, an enrolment too."""
    upload = enrolled(learner())
    model = fold(PUSH_ALL, sent(upload.name, upload.payload, on=False))
    assert model.learners == {} and model.employers == {}


def test_b1_b2_a_break_and_the_return() -> None:
    """B1 / B2: learner and the aims put on the break, then back to in training."""
    day = date(2026, 3, 2)
    on_break = [qualification("L1-Q0", completion_status=6, actual_end_date=day)]
    start = sent("BreakInLearning", {"learner": learner(programme_status="Break in learning"), "phase": "start",
                                     "break_date": day, "qualifications": on_break})  # fmt: skip
    model = fold(NONE_ALL, enrolled(learner()), start)
    assert model.learners["L1"].fields["status"] == "break_in_learning"
    assert model.learners["L1"].courses["L1-Q0"]["completionStatus"] == 6
    back = sent("BreakInLearning", {"learner": learner(), "phase": "return", "break_date": day,
                                    "qualifications": [qualification("L1-Q0")]})  # fmt: skip
    model = fold(NONE_ALL, enrolled(learner()), start, back)
    assert (model.learners["L1"].fields["status"], model.learners["L1"].courses["L1-Q0"]["status"]) == (
        "active",
        "in_training",
    )


def test_g1_o1_records_keep_their_creation_values_unless_pushed() -> None:
    """G1 / O1: an organisation or officer edit reaches SA only when its mode is Push."""
    events = [enrolled(learner()), sent("OrganisationEdited", {"organisation": organisation(phone_number="0999")}),
              sent("OfficerEdited", {"officer": officer("M1", mobile_number="07999999999")})]  # fmt: skip
    pushed, kept = fold(PUSH_ALL, *events), fold(NONE_ALL, *events)
    assert (pushed.employers["ORG1"]["phoneNumber"], pushed.assessors["M1"]["mobileNumber"]) == ("0999", "07999999999")
    assert (kept.employers["ORG1"]["phoneNumber"], kept.assessors["M1"]["mobileNumber"]) == ("0113 222", "07111111111")


def test_d1_the_daily_run_s_requests_are_r1_g1_and_o1_on_pics_s_current_records() -> None:
    """D1: a learner's ReconcileRequested is R1 on PICS's record as it stands; its employer's and assessor's are
    G1 and O1, applied only when their mode is Push (else they may be skipped)."""
    upload = enrolled(learner())
    ahead = {**upload.payload, "learner": learner(email="newer@example.org")}
    requests = [sent("ReconcileRequested", ahead),
                sent("OrganisationReconcileRequested", {"organisation": organisation(phone_number="0999")}),
                sent("OfficerReconcileRequested", {"officer": officer("M1", mobile_number="07999999999")})]  # fmt: skip
    pushed, kept = fold(PUSH_ALL, upload, *requests), fold(NONE_ALL, upload, *requests)
    assert [pushed.fates[r.event_id].why for r in requests] == [
        "D1 (R1 of the daily run)", "D1 (G1 of the daily run)", "D1 (O1 of the daily run)"]  # fmt: skip
    assert pushed.learners["L1"].fields["email"] == "newer@example.org"
    assert (pushed.employers["ORG1"]["phoneNumber"], pushed.assessors["M1"]["mobileNumber"]) == ("0999", "07999999999")
    assert [kept.fates[r.event_id].expect for r in requests] == [APPLY, MAY_SKIP, MAY_SKIP]
    assert (kept.learners["L1"].fields["email"], kept.employers["ORG1"]["phoneNumber"]) == (
        "l1@example.org",
        "0113 222",
    )
