"""The demo's verdict on one profile now reads the daily run's drift report too (D1, D3): each request
carried out, every expected difference found and repaired, nothing else."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.demo.drift_run import report_figures
from sandbox.demo.run import profile_passed
from sync_core.state.drift import DriftCount


def right(**changes: Any) -> dict[str, Any]:
    """A profile's figures as a right run leaves them, with three hand edits repaired."""
    figures = {
        "events_produced": 10, "events_applied": 9, "duplicates_skipped": 1, "events_skipped_expected": 0,
        "field_mismatches": 0, "sa_duplicate_records": 0, "pics_mismatches": 0, "events_parked": 0,
        "pull_events_parked": 0, "events_skipped_unexpected": 0, "events_applied_unexpected": 0,
        "events_unaccounted": 0, "sa_learners_matching_pics": 4, "sa_learners_total": 4,
        "reconcile_requested": 3, "pull_learners_eligible_expected": 3, "drift_found": 3, "drift_repaired": 3,
        "drift_expected": 3, "drift_missing": 0, "drift_unexpected": 0, "hand_edited_fields_wrong": 0,
        "reconcile_events_parked": 0,
    }  # fmt: skip
    return figures | changes


def test_a_run_whose_report_is_the_demo_s_own_list_passes() -> None:
    """D3: found == repaired == expected, and each eligible learner asked about (D1)."""
    assert profile_passed(right())


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"drift_missing": 1, "drift_found": 2, "drift_repaired": 2}, id="D2-an-enrolment-not-made-again"),
        pytest.param({"drift_unexpected": 1, "drift_found": 4, "drift_repaired": 4}, id="D1-a-false-positive"),
        pytest.param({"drift_repaired": 2}, id="D3-a-difference-found-and-not-repaired"),
        pytest.param({"hand_edited_fields_wrong": 1}, id="D1-sa-not-holding-pics-s-value-afterwards"),
        pytest.param({"reconcile_events_parked": 1}, id="D1-a-request-parked"),
        pytest.param({"reconcile_requested": 2}, id="D1-a-learner-not-asked-about"),
    ],
)
def test_the_verdict_fails_on_any_drift_figure_out_of_place(changes: dict[str, Any]) -> None:
    """D1–D3: each of these fails the profile, and so the demo's exit code."""
    assert not profile_passed(right(**changes))


def test_the_summary_s_figures_are_the_report_s_counts() -> None:
    """D3: drift_found counts every row of the run; drift_repaired the pushed, pulled and enrolled; per action."""
    counts = [DriftCount("learner", "email", "push", "pushed", 2), DriftCount("enrolment", "courseId", "push", "enrolled", 1),
              DriftCount("learner", "first_name", "pull", "pulled", 3), DriftCount("enrolment", "courseId", "push", "reported", 1),
              DriftCount("learner", "email", "push", "failed", 1)]  # fmt: skip
    assert report_figures(counts) == {"drift_found": 8, "drift_repaired": 6,
                                      "drift_by_action": {"enrolled": 1, "failed": 1, "pulled": 3, "pushed": 2, "reported": 1}}  # fmt: skip
    assert report_figures([]) == {"drift_found": 0, "drift_repaired": 0, "drift_by_action": {}}
