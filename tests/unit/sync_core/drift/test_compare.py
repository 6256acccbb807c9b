"""The comparison of D1 and D2: a field differs only when SA's value, read as SA represents it, is not PICS's."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from sync_core.drift.compare import Difference, differing, same, unmatched


@pytest.mark.parametrize(
    ("field", "ours", "theirs"),
    [
        pytest.param("startDate", date(2026, 9, 1), "2026-09-01", id="D1-a-date-and-its-iso-text-are-one"),
        pytest.param("ethnicity", 31, "31", id="D1-a-number-and-its-text-are-one"),
        pytest.param("plannedOtjHours", 312, 312.0, id="D1-an-int-and-an-equal-float-are-one"),
        pytest.param("plannedOtjHours", Decimal("312.50"), "312.5", id="D1-a-decimal-and-its-text-are-one"),
        pytest.param("employerId", 1001, "1001", id="D1-E1-an-sa-id-as-int-or-text-is-one"),
        pytest.param("address3", None, "", id="D1-none-and-empty-text-are-one-blank"),
        pytest.param("address3", "  ", None, id="D1-spaces-are-blank"),
        pytest.param("completionStatus", 1, None, id="D1-A1-no-completion-status-is-continuing"),
        pytest.param("email", "ada@example.org", "ada@example.org", id="D1-equal-text"),
    ],
)
def test_d1_values_sa_represents_differently_are_the_same(field: str, ours: Any, theirs: Any) -> None:
    """D1: SA's representation of PICS's value (ISO date, number as text, blank) is no difference."""
    assert same(field, ours, theirs) and same(field, theirs, ours)


@pytest.mark.parametrize(
    ("field", "ours", "theirs"),
    [
        pytest.param("email", "ada@example.org", "ADA@example.org", id="D1-text-is-compared-exactly"),
        pytest.param("postcode", "LS1 1AA", "ls1 1aa", id="D1-a-retyped-postcode-differs"),
        pytest.param("mobileNumber", "07700900000", "7700900000", id="D1-a-lost-leading-zero-differs"),
        pytest.param("startDate", date(2026, 9, 1), "2026-10-01", id="D1-Q2-another-date-differs"),
        pytest.param("employerId", 1001, 88, id="D1-E1-another-employer-differs"),
        pytest.param("email", "ada@example.org", None, id="D1-a-value-cleared-in-sa-differs"),
        pytest.param("address3", None, "Flat 2", id="D1-a-value-added-in-sa-differs"),
        pytest.param("completionStatus", 1, 2, id="D1-A1-another-completion-status-differs"),
        pytest.param("outcome", None, 1, id="D1-A1-an-outcome-set-in-sa-differs"),
        pytest.param("sendWelcomeEmail", True, 1, id="D1-a-boolean-is-no-number"),
        pytest.param("ethnicity", 31, "thirty-one", id="D1-a-number-is-no-other-text"),
    ],
)
def test_d1_a_different_value_differs(field: str, ours: Any, theirs: Any) -> None:
    """D1: any other value is a difference, whichever side holds it."""
    assert not same(field, ours, theirs) and not same(field, theirs, ours)


def test_d1_differing_keeps_only_the_fields_sa_does_not_hold() -> None:
    """D1: the fields of PICS's push whose value SA's record does not hold; a key SA lacks is a blank."""
    wanted = {"email": "ada@example.org", "surname": "Lovelace", "address3": None, "startDate": date(2026, 9, 1)}
    held = {"email": "hand@example.org", "surname": "Lovelace", "startDate": "2026-09-01", "misId": "L1"}
    assert differing(wanted, held) == {"email": "ada@example.org"}


def test_d2_an_enrolment_is_pics_by_mis_id_or_by_course() -> None:
    """D2: an SA enrolment matching a PICS qualification by MIS id or by course is PICS's; any other is unmatched."""
    enrolments = [
        {"id": 9001, "misId": "Q1", "courseId": 7},  # PICS's, by MIS id
        {"id": 9002, "misId": None, "courseId": 12},  # added in SA on a course PICS has
        {"id": 9003, "misId": "QX", "courseId": 99},  # none of PICS's
    ]
    assert unmatched(enrolments, ("Q1", "Q5"), ("12",)) == [enrolments[2]]


def test_d3_a_difference_names_only_known_record_kinds() -> None:
    """D3: a Difference is about a learner, enrolment, employer or assessor (the drift record's kinds)."""
    with pytest.raises(ValueError, match="not a record kind"):
        Difference("review", "review:1", "R1", "type", "push", "pushed")


@pytest.mark.parametrize(
    ("held", "differs"),
    [
        pytest.param("break_in_learning", True, id="B2-back-from-a-break-is-a-difference"),
        pytest.param("completed", False, id="B2-sa-completed-learner-left-alone"),
        pytest.param("withdrawn", False, id="B2-sa-withdrawn-learner-left-alone"),
        pytest.param("active", False, id="B2-active-is-active"),
    ],
)
def test_b1_b2_a_learner_status_is_ours_only_as_far_as_a_break(held: str, differs: bool) -> None:
    """B1/B2 in D1: PICS owns a learner's break, not SA's end of it: "active" is held by any status but a break."""
    assert bool(differing({"status": "active"}, {"status": held}, "learner")) is differs
    assert bool(differing({"status": "break_in_learning"}, {"status": held}, "learner")) is (
        held != "break_in_learning"
    )
