"""The Drift page's pure parts: the bar chart's layout, which run ``?run=`` names, a learner's repairs by event."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from consumers.web.chart import BAR_WIDTH, LABEL_WIDTH, ROW_HEIGHT, bar_chart
from consumers.web.drift import BadRun, chosen_run, split
from sync_core.state.drift import DriftCount, DriftRecord


def count(entity: str, field: str, action: str, n: int) -> DriftCount:
    return DriftCount(entity, field, "push", action, n)


def test_d3_one_bar_per_field_scaled_to_the_longest_most_first() -> None:
    """D3: each (entity, field) is one bar, its actions summed into kinds, the longest as wide as the chart allows."""
    chart = bar_chart([count("learner", "email", "pushed", 3), count("learner", "email", "failed", 1),
                       count("enrolment", "startDate", "pushed", 2), count("learner", "postcode", "pushed", 2)])  # fmt: skip
    assert [(b.label, b.total, b.y) for b in chart.bars] == [
        ("learner.email", 4, 0), ("enrolment.startDate", 2, ROW_HEIGHT), ("learner.postcode", 2, 2 * ROW_HEIGHT)
    ]  # fmt: skip
    email = chart.bars[0]
    assert [(s.kind, s.x, s.width, s.count) for s in email.segments] == [
        ("repaired", LABEL_WIDTH, BAR_WIDTH * 3 / 4, 3), ("failed", LABEL_WIDTH + BAR_WIDTH * 3 / 4, BAR_WIDTH / 4, 1)
    ]  # fmt: skip
    assert email.end == LABEL_WIDTH + BAR_WIDTH
    assert chart.bars[1].end == LABEL_WIDTH + BAR_WIDTH / 2
    assert chart.height == 3 * ROW_HEIGHT


@pytest.mark.parametrize(
    ("action", "kind"),
    [
        pytest.param("pulled", "repaired", id="D1-pulled"),
        pytest.param("enrolled", "repaired", id="D2-enrolled"),
        pytest.param("reported", "reported", id="D2-reported"),
        pytest.param("would enrol", "dry-run", id="D4-would-enrol"),
        pytest.param("would push", "dry-run", id="D4-would-push"),
    ],
)
def test_d3_each_action_has_its_segment(action: str, kind: str) -> None:
    """D3: the chart tells repaired, reported, failed and a dry run's apart."""
    assert [s.kind for s in bar_chart([count("learner", "email", action, 1)]).bars[0].segments] == [kind]


def test_no_difference_no_bar() -> None:
    """A run that found nothing draws an empty chart."""
    assert bar_chart([]).bars == () and bar_chart([]).height == 0


class Runs:
    def latest_run(self) -> int | None:
        return 42


@pytest.mark.parametrize(
    ("given", "run"),
    [("", 42), ("  ", 42), ("7", 7), ("none", None), ("None", None)],
    ids=["default-latest-daily", "blank-latest-daily", "an-id", "no-run", "no-run-any-case"],
)
def test_which_run_the_page_shows(given: str, run: int | None) -> None:
    """``?run=`` names a run id or ``none``; not given, the latest daily run."""
    assert chosen_run(given, Runs()) == run  # type: ignore[arg-type]


@pytest.mark.parametrize("given", ["-1", "latest", "1;drop", "x"])
def test_a_run_that_is_no_id_is_refused(given: str) -> None:
    """Anything else is refused with a line naming it."""
    with pytest.raises(BadRun, match="neither a run id nor 'none'"):
        chosen_run(given, Runs())  # type: ignore[arg-type]


def record(id: int, event_id: str | None, **more: Any) -> DriftRecord:
    fields = {"run_id": None, "found_at": datetime(2025, 3, 1, tzinfo=UTC), "entity": "learner", "pics_id": "L-1",
              "sa_resource": "learner:g", "field": "email", "direction": "push", "action": "pushed"}  # fmt: skip
    return DriftRecord(id=id, event_id=event_id, **{**fields, **more})


def test_d3_a_learners_repairs_go_under_the_event_that_found_them() -> None:
    """D3: the timeline shows each event's differences under it, in order; those of no listed event apart."""
    records = [record(4, "e-2"), record(3, "e-1", field="surname"), record(2, None), record(1, "e-1"),
               record(0, "e-other", entity="employer", pics_id="O-1")]  # fmt: skip
    repairs = split(records, ["e-2", "e-1", "e-3"])
    assert {event: [r.id for r in found] for event, found in repairs.by_event.items()} == {"e-2": [4], "e-1": [3, 1]}
    assert [r.id for r in repairs.other] == [2, 0]
