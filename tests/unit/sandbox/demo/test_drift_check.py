"""The drift check grades the run's drift report by the demo's own list (D1–D3): each expected difference
found with its action, nothing else; a false positive fails as surely as a miss."""

from __future__ import annotations

from sandbox.demo.drift_check import Drift, check_drift

EMAIL = Drift("learner", "L1", "email", "push", "pushed")
STATUS = Drift("enrolment", "L2-Q0", "status", "push", "pushed")
ENROLLED = Drift("enrolment", "L3-Q0", "courseId", "push", "enrolled")
PULLED = Drift("learner", "L4", "firstName", "pull", "pulled")


def test_d3_a_report_of_exactly_the_expected_differences_passes() -> None:
    """D1–D3: pushed, enrolled and pulled rows, each expected once: found == repaired == expected, no example."""
    check = check_drift([EMAIL, STATUS, ENROLLED, PULLED], [PULLED, ENROLLED, STATUS, EMAIL])
    assert check.figures() == {"drift_found": 4, "drift_repaired": 4, "drift_expected": 4, "drift_missing": 0,
                               "drift_unexpected": 0}  # fmt: skip
    assert check.examples == []


def test_d3_an_edit_the_report_does_not_show_is_missing_by_record_and_field() -> None:
    """D3: an enrolment the run did not enrol again is named, by record and field only."""
    check = check_drift([EMAIL, ENROLLED], [EMAIL])
    assert (check.missing, check.unexpected) == (1, 0)
    assert check.examples == ["missing from the drift report: enrolment L3-Q0: courseId (push, enrolled)"]


def test_d1_a_difference_nobody_made_is_a_false_positive() -> None:
    """D1: a row for a field the demo never edited (a canonicalisation slip) is unexpected, and fails the check."""
    check = check_drift([], [Drift("learner", "L5", "postcode", "push", "pushed")])
    assert (check.found, check.repaired, check.missing, check.unexpected) == (1, 1, 0, 1)


def test_d3_a_failed_repair_is_neither_repaired_nor_the_expected_row() -> None:
    """D3: found but "failed" is not the expected "pushed": one missing, one unexpected, nothing repaired."""
    failed = Drift("learner", "L1", "email", "push", "failed")
    check = check_drift([EMAIL], [failed])
    assert (check.found, check.repaired, check.missing, check.unexpected) == (1, 0, 1, 1)


def test_d3_a_difference_recorded_twice_is_one_too_many() -> None:
    """D3: one hand edit, two rows (a request carried out twice): the second is unexpected."""
    check = check_drift([EMAIL], [EMAIL, EMAIL])
    assert (check.found, check.missing, check.unexpected) == (2, 0, 1)
