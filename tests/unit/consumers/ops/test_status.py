"""`pics-sync status`: the attention rules, the lag arithmetic and the choice of the last daily pull, without I/O."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import pytest

from consumers.cli.status_cmd import render
from consumers.ops.status import (
    GroupStatus,
    ParkedReason,
    PartitionLag,
    PullRun,
    StatusReport,
    daily_runs,
    human,
    partition_lag,
)
from sync_core.state.heartbeats import Heartbeat
from sync_core.state.pull_runs import PullRuns

NOW = datetime(2024, 5, 2, 10, 0, tzinfo=UTC)


def beat(member: str = "pod-a/1/abc", *, circuit: str = "closed", age_s: float = 2, stopped: bool = False) -> Heartbeat:
    """A consumer's heartbeat ``age_s`` seconds old."""
    return Heartbeat(member, "g", "push", circuit, 0, NOW - timedelta(hours=1),
                     NOW - timedelta(seconds=age_s), NOW if stopped else None, timedelta(seconds=age_s))  # fmt: skip


def group(name: str = "g", *, lag: int = 0, consumers: tuple[Heartbeat, ...] | None = None) -> GroupStatus:
    """A group with ``lag`` events unconsumed on one partition and, by default, one live consumer."""
    partitions = (PartitionLag("t.pics.learner", 0, 10, 10 + lag, lag),)
    return GroupStatus("push", name, partitions, (beat(),) if consumers is None else consumers)


def run(run_id: int = 1, *, status: str = "succeeded", finished_ago: timedelta | None = timedelta(hours=8)) -> PullRun:
    """A daily pull run that started an hour before it finished."""
    finished = None if finished_ago is None else NOW - finished_ago
    started = (finished or NOW) - timedelta(hours=1)
    return PullRun(run_id, started.date(), status, started, finished, 100, 100, 340, 300, 0)


HEALTHY = StatusReport(NOW, (group("g"), group("g-updaters")), (), True, run(), run())


def edit(**changes: Any) -> Callable[[StatusReport], StatusReport]:
    return lambda report: replace(report, **changes)


def push_group(**kwargs: Any) -> Callable[[StatusReport], StatusReport]:
    return lambda report: replace(report, groups=(group("g", **kwargs), report.groups[1]))


# fmt: off
CASES = [
    pytest.param(edit(), [], id="all-clear"),
    pytest.param(edit(parked=(ParkedReason("not enrolled (X2)", 2, NOW),)), ["2 parked event(s): see `pics-sync dlq list`"], id="parked-events"),
    pytest.param(push_group(lag=1000), [], id="lag-at-the-limit-is-fine"),
    pytest.param(push_group(lag=1001), ["group g lags 1001 events (over 1000)"], id="lag-over-the-limit"),
    pytest.param(edit(groups=(replace(group("g"), partitions=(), error="Kafka: timed out"), group("g-updaters"))), ["group g: Kafka unreadable (timed out)"], id="kafka-unreadable"),
    pytest.param(push_group(consumers=()), ["no live consumer in group g (none reported in 30 s)"], id="no-consumer-ever"),
    pytest.param(push_group(consumers=(beat(age_s=31),)), ["no live consumer in group g (none reported in 30 s)"], id="heartbeat-gone-stale"),
    pytest.param(push_group(consumers=(beat(stopped=True),)), ["no live consumer in group g (none reported in 30 s)"], id="consumer-stopped-cleanly"),
    pytest.param(push_group(consumers=(beat(circuit="open"),)), ["circuit open on pod-a/1/abc (group g): SA is failing"], id="circuit-open"),
    pytest.param(push_group(consumers=(beat(circuit="half_open"),)), [], id="circuit-half-open-is-probing"),
    pytest.param(push_group(consumers=(beat(), beat("pod-b/2/def", circuit="open", age_s=600))), [], id="open-circuit-of-a-dead-member-ignored"),
    pytest.param(edit(last_pull=run(2, status="failed", finished_ago=timedelta(hours=1))), ["the last daily pull (run 2 for 2024-05-02) failed"], id="last-pull-failed"),
    pytest.param(edit(last_pull=run(finished_ago=timedelta(hours=27)), last_pull_success=run(finished_ago=timedelta(hours=27))), ["the last daily pull that succeeded finished 27 h ago (over 26 h)"], id="pull-too-old"),
    pytest.param(edit(last_pull=run(2, status="running", finished_ago=None), last_pull_success=run(finished_ago=timedelta(hours=25))), [], id="pull-running-last-success-in-time"),
    pytest.param(edit(last_pull=None, last_pull_success=None), ["no daily pull has succeeded in the last 26 h"], id="no-pull-at-all"),
    pytest.param(edit(last_pull=None, last_pull_success=None, pull_watched=False, groups=(group("g"),)), [], id="push-side-only-ignores-the-pull"),
]
# fmt: on


@pytest.mark.parametrize(("change", "expected"), CASES)
def test_attention_rules(change: Callable[[StatusReport], StatusReport], expected: list[str]) -> None:
    """Each condition an operator must act on gives one readable reason; anything else gives none."""
    report = change(HEALTHY)
    assert report.reasons() == expected
    assert report.needs_attention() is bool(expected)
    assert json.loads(report.to_json())["status"] == ("attention" if expected else "ok")


def test_reasons_add_up_in_a_fixed_order() -> None:
    """Several problems at once are all listed: parked events, then each group, then the pull."""
    report = replace(
        HEALTHY,
        parked=(ParkedReason("a", 1, NOW),),
        groups=(group("g", lag=5000, consumers=()), group("g-updaters")),
        last_pull=run(2, status="failed"),
    )
    reasons = report.reasons()
    assert [r.split(" ")[0:2] for r in reasons] == [["1", "parked"], ["group", "g"], ["no", "live"], ["the", "last"]]


@pytest.mark.parametrize(
    ("committed", "low", "high", "expected"),
    [
        pytest.param(7, 0, 10, PartitionLag("t", 0, 7, 10, 3), id="behind-by-three"),
        pytest.param(10, 0, 10, PartitionLag("t", 0, 10, 10, 0), id="caught-up"),
        pytest.param(-1001, 4, 10, PartitionLag("t", 0, None, 10, 6), id="never-committed-starts-at-the-first-offset"),
        pytest.param(2, 4, 10, PartitionLag("t", 0, 2, 10, 8), id="commit-below-retention-counts-from-it"),
    ],
)
def test_partition_lag(committed: int, low: int, high: int, expected: PartitionLag) -> None:
    """Lag is the partition's end less the group's committed offset, or less its first offset before any commit."""
    assert partition_lag("t", 0, committed, low, high) == expected


class FakeRuns:
    """``PullRuns``' per-date look-ups over a fixed list of rows."""

    def __init__(self, *runs: PullRun) -> None:
        self.rows = [r.__dict__ | {"scope": "daily"} for r in runs]

    def _newest(self, run_date: date, succeeded: bool) -> dict[str, Any] | None:
        rows = [r for r in self.rows if r["run_date"] == run_date and (r["status"] == "succeeded") == succeeded]
        return max(rows, key=lambda r: r["started_at"], default=None)

    def succeeded(self, run_date: date, scope: str = "daily") -> dict[str, Any] | None:
        return self._newest(run_date, True)

    def unfinished(self, run_date: date, scope: str = "daily") -> dict[str, Any] | None:
        return self._newest(run_date, False)


def test_daily_runs_newest_and_newest_success_within_the_window() -> None:
    """The last run may have failed while an older one succeeded; runs dated before the window are not looked at."""
    old = replace(run(1), run_date=NOW.date() - timedelta(days=5))
    ok = run(2, finished_ago=timedelta(hours=20))
    failed = run(3, status="failed", finished_ago=timedelta(hours=2))
    runs = cast(PullRuns, FakeRuns(old, ok, failed))
    assert daily_runs(runs, NOW.date(), timedelta(hours=26)) == (failed, ok)
    assert daily_runs(cast(PullRuns, FakeRuns(old)), NOW.date(), timedelta(hours=26)) == (None, None)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (119, "119 s"),
        (120, "2 min"),
        (7199, "119 min"),
        (7200, "2 h"),
        (26 * 3600, "26 h"),
        (3 * 86400, "3 d"),
    ],
)
def test_human_durations(seconds: int, text: str) -> None:
    """Durations read as an operator says them."""
    assert human(timedelta(seconds=seconds)) == text


def test_table_leads_with_the_verdict_and_its_reasons() -> None:
    """The readable output starts with NEEDS ATTENTION and each reason, then the lag per partition and the pull."""
    report = replace(HEALTHY, groups=(group("g", lag=1500), group("g-updaters")))
    lines = render(report).splitlines()
    assert lines[0].startswith("pics-sync status: NEEDS ATTENTION")
    assert lines[1] == "  ! group g lags 1500 events (over 1000)"
    text = "\n".join(lines)
    assert "t.pics.learner  0          10         1510  1500" in text and "daily pull" in text
    assert render(HEALTHY).startswith("pics-sync status: ok")


def test_p14_status_shows_the_items_the_last_pull_dropped() -> None:
    """P14: a pull that dropped unreadable SA items says how many under the daily pull; none, no line."""
    dropped = replace(HEALTHY, last_pull=replace(run(), items_dropped=3), last_pull_success=None)
    assert "items dropped 3 (P14" in render(dropped)
    assert "items dropped" not in render(HEALTHY)
