"""The oracle's literal DOMAIN tables: field lists per setting, status and risk maps, and Y1 in plain Python."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from sandbox.demo import oracle_tables as t
from tests.unit.sandbox.demo.builders import NONE_ALL, PULL_ALL, PUSH_ALL, settings

L1_SA = {"firstName", "surname", "dateOfBirth", "email", "address1", "address2", "address3", "address4",
         "postcode", "niNumber", "phoneNumber", "mobileNumber"}  # fmt: skip


def pushed(values: dict[str, str]) -> set[str]:
    return {sa for _pics, sa, when in t.LEARNER_PUSH if when(settings(values))}


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param(PUSH_ALL, L1_SA | {"uln", "studentId", "gender", "ethnicity", "disability"}, id="L1-L4-all-push"),
        pytest.param({"Update Learner Demographics Mode": t.PUSH}, L1_SA | {"uln"}, id="L1-L2-push-alone"),
        pytest.param(PULL_ALL, {"uln"}, id="L2-v2-pull-pushes-uln"),
        pytest.param(PULL_ALL | {"Set Student ID to LRN": "on", "Send Learner Disability": "on"}, {"uln", "disability"}, id="L4-S9-in-pull-mode"),
        pytest.param(NONE_ALL | {"Update Learner Gender": "on", "Set Student ID to LRN": "on"}, set(), id="L5-none-pushes-nothing"),
        pytest.param(NONE_ALL | {"Send Learner Disability": "on"}, {"disability"}, id="L4-disability-whatever-S6"),
    ],
)  # fmt: skip
def test_learner_fields_pushed_per_setting(values: dict[str, str], expected: set[str]) -> None:
    """L1–L5 (v2) as a table: which SA learner fields a LearnerEdited pushes."""
    assert pushed(values) == expected


def test_the_literal_maps_are_domain_s() -> None:
    """A1, P8, P4 and the record field lists, as DOMAIN.md and the sandbox's contract spell them."""
    assert t.COURSE_STATUS == {
        1: "in_training",
        2: "completed",
        3: "withdrawn",
        4: "transferred",
        6: "break_in_learning",
    }
    assert t.OUTCOMES == (1, 2, 3, 8)
    assert t.RISK == {"High": "Red", "Medium": "Yellow", "Low": "Green"}
    assert set(t.ATTENDED_STATUS.values()) == {
        "Attended",
        "Cancelled - Learner",
        "Cancelled - Assessor",
        "Cancelled - Employer",
    }
    assert set(t.OFFICER_FIELDS.values()) == {"firstName", "surname", "email", "phoneNumber", "mobileNumber"}
    assert len(t.EMPLOYER_FIELDS) == 10 and "uln" not in t.L1_FIELDS and t.NEVER_PULLED == ("uln", "disability")


def test_the_defaults_are_domain_s() -> None:
    """S1–S17's defaults: off, None, Push for S16, no second assessor role."""
    plain = settings({})
    assert not plain.on("Integration Enabled") and plain.mode(t.S6) == t.NONE and plain.mode(t.S16) == t.PUSH
    assert (
        plain.second_role is None
        and settings({"Qualification Second Assessor Role": "Skills Coach"}).second_role == "Skills Coach"
    )


@pytest.mark.parametrize(
    ("day", "before"),
    [(date(2026, 3, 31), date(2026, 2, 28)), (date(2024, 3, 30), date(2024, 2, 29)), (date(2026, 1, 15), date(2025, 12, 15))],
    ids=["Y1-clamped-to-february", "Y1-leap-year", "Y1-across-the-year"],
)  # fmt: skip
def test_month_before(day: date, before: date) -> None:
    """Y1: one calendar month before, clamped to the month's last day."""
    assert t.month_before(day) == before


@pytest.mark.parametrize(
    ("learner", "eligible"),
    [
        pytest.param({"programme_status": "In Learning"}, True, id="Y1-live-in-learning"),
        pytest.param({"programme_status": "In Learning", "smart_assessor_id": None}, False, id="Y1-not-in-sa"),
        pytest.param({"programme_status": "In Learning", "system_status": "Archived"}, False, id="Y1-not-live"),
        pytest.param({"programme_status": "Completed", "end_date": date(2026, 2, 10)}, True, id="Y1-ended-within-the-month"),
        pytest.param({"programme_status": "Completed", "end_date": date(2026, 2, 9)}, False, id="Y1-ended-over-a-month-ago"),
        pytest.param({"programme_status": "Break in learning"}, False, id="Y1-on-a-break"),
    ],
)  # fmt: skip
def test_eligibility(learner: dict[str, Any], eligible: bool) -> None:
    """Y1 from a PICS row, on 10 March 2026."""
    row = {"system_status": "Live", "smart_assessor_id": "g1", "end_date": None} | learner
    assert t.eligible(row, date(2026, 3, 10)) is eligible


def test_p13_blanks() -> None:
    """P13: an empty SA value (null, "" or spaces) is a blank; 0 is not."""
    assert t.blank(None) and t.blank("") and t.blank("  ") and not t.blank(0) and not t.blank("x")
