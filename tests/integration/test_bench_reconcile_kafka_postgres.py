"""``pics-sync bench reconcile`` end to end on the real broker, PostgreSQL and sandbox, at a small size.

Contract (issue #15's "done when", bar the time): learners in step in PICS and SA, then drift made in
SA by hand in five kinds and in PICS while S1 was off; the real run finds every (record, field) the
bench made differ (D1, D2, D3) and nothing else, SA holds PICS's value of each again, the dry run
listed exactly the writes the real run made (D4), a second run finds nothing (D4), and no SA record
exists twice (D6, U10). The bench's own list of what it corrupted is the expectation, never the
product's report. No test asserts how fast anything is: the machine is shared.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from consumers.cli.demo_cmd import stack_config
from sandbox.bench.drift_made import PICS_KIND, SA_KINDS
from sandbox.bench.reconcile import bench_reconcile
from sandbox.stack.local import Stack

pytestmark = pytest.mark.integration

LEARNERS = 200
FIGURES = (
    "learners", "corrupted", "detected", "repaired", "false_positives", "sa_duplicate_records", "predicted_writes",
    "actual_writes", "second_run_differences", "sa_reads", "seconds", "floor_seconds", "ratio_to_floor",
    "peak_rss_mb",
)  # fmt: skip


@pytest.fixture(scope="module")
def report(stack: Stack) -> dict[str, Any]:
    """One bench run against a fast sandbox (1 ms a call, 1000 calls/s)."""
    return bench_reconcile(stack, stack_config(stack), learners=LEARNERS, rate=1000.0, latency_ms=1.0)


def test_the_report_gives_every_figure_of_the_issue(report: dict[str, Any]) -> None:
    """The JSON gives the issue's figures first, in its order; the floor is SA's answered calls over the rate, as
    bench pull's."""
    assert tuple(report)[: len(FIGURES)] == FIGURES
    assert report["learners"] == LEARNERS
    assert report["floor_seconds"] == round(report["sa_calls"] / report["rate_limit_per_s"], 2)
    assert report["seconds"] > 0 and report["peak_rss_mb"] > 0
    assert json.loads(json.dumps(report)) == report


def test_each_kind_of_drift_is_made(report: dict[str, Any]) -> None:
    """1% of the learners drift in SA in five kinds and 0.5% in PICS while S1 was off: each kind at least once."""
    assert set(report["corrupted_by_kind"]) == {*SA_KINDS, PICS_KIND}
    assert report["corrupted"] >= len(SA_KINDS) + 1


def test_the_set_up_is_in_step(report: dict[str, Any]) -> None:
    """D4: before the drift is made, a dry run over a sample of the records finds no difference."""
    assert report["setup_differences"] == 0


def test_every_corrupted_field_is_found_and_repaired(report: dict[str, Any]) -> None:
    """D1, D2, D3: the real run's drift records name every (record, field) made to differ, and only those; SA
    holds PICS's value of each again, and every other field of every learner and course still."""
    assert (report["detected"], report["repaired"]) == (report["corrupted"], report["corrupted"])
    assert report["false_positives"] == 0
    assert report["sa_fields_wrong_after"] == 0


def test_the_dry_run_predicts_exactly_the_writes_of_the_real_run(report: dict[str, Any]) -> None:
    """D4: the writes the dry run lists, per record and field, are those the real run records as made."""
    assert report["predicted_writes"] == report["actual_writes"] >= report["corrupted"]
    assert report["prediction_mismatches"] == 0


def test_a_second_run_finds_nothing_and_no_record_is_twice_in_sa(report: dict[str, Any]) -> None:
    """D4, D6, U10: run again with nothing changed, the reconcile compares every record (none parked, which would
    hide a difference) and finds no difference; no SA learner, employer, assessor or course enrolment exists
    twice by MIS id or natural key."""
    assert report["second_run_differences"] == report["events_parked"] == 0
    assert report["sa_duplicate_records"] == 0
