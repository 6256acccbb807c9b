"""``pics-sync bench push --processes 1,2`` end to end on the real broker, PostgreSQL and sandbox, at a tiny size.

It checks what the report promises (issue #18 item 3), not how fast anything is: the machine is shared
and no test asserts a time. Per N, the runtime ran as ``pics-sync run --processes N`` (at N = 2 two
member processes, each named in the group and in its heartbeat), beside the floor in N processes.
"""

from __future__ import annotations

from typing import Any

import pytest

from consumers.cli.demo_cmd import stack_config
from sandbox.bench.push_members import bench_push_processes
from sandbox.stack.local import Stack

pytestmark = pytest.mark.integration

PER_N = (
    "events_per_s", "ratio_vs_floor", "ratio_vs_naive", "cpu_ms_per_event", "p99_ms_at_200",
    "max_rate_p99_under_100ms",
)  # fmt: skip


@pytest.fixture(scope="module")
def report(stack: Stack) -> dict[str, Any]:
    assert stack.sa is not None
    return bench_push_processes(
        stack, stack_config(stack), processes=[1, 2], events=200, learners=12, latency=1.0, concurrency=4,
        steady_events=40, search_seconds=0.5, search_steps=4,
    )  # fmt: skip


def test_every_figure_is_reported_per_n_and_positive(report: dict[str, Any]) -> None:
    """For N = 1 and 2: events/s, the ratios to the floor and to the naive loop, CPU per event, the p99 at
    200 events/s offered and the highest rate with a p99 under 100 ms, each above 0."""
    assert sorted(report["processes"]) == ["1", "2"]
    for figures in report["processes"].values():
        assert {name: figures[name] > 0 for name in PER_N} == dict.fromkeys(PER_N, True), figures
        floor_eps = figures["floor_events_per_s"]
        assert figures["ratio_vs_floor"] == round(figures["events_per_s"] / floor_eps, 2)
    assert report["naive"]["events"] == 100 and report["naive"]["events_per_s"] > 0


def test_scale_2_over_1_and_the_machine_speed_are_reported(report: dict[str, Any]) -> None:
    """scale_2_over_1 is events/s at 2 members over events/s at 1; the machine's speed is beside it."""
    per_n = report["processes"]
    assert report["scale_2_over_1"] == round(per_n["2"]["events_per_s"] / per_n["1"]["events_per_s"], 2)
    assert report["machine_speed_ops_per_s"] > 0


def test_two_members_really_ran_in_processes_of_their_own(report: dict[str, Any]) -> None:
    """At N = 2 the group had two members, named by their client ids, and two consumer processes beat, each
    with half of the SA cap; at N = 1 one process had all of it."""
    two, one = report["processes"]["2"], report["processes"]["1"]
    assert two["member_client_ids"] == ["pics-sync-member-0", "pics-sync-member-1"]
    assert (two["member_heartbeats"], two["member_sa_max_concurrency"], two["member_workers"]) == (2, 2, 3)
    assert (len(one["member_client_ids"]), one["member_heartbeats"], one["member_sa_max_concurrency"]) == (1, 1, 4)


def test_the_search_reports_the_steps_it_ran(report: dict[str, Any]) -> None:
    """The search tried at most its four steps, each a rate doubled from 200 or halved from it (or between
    two it tried), and its answer is the highest rate that passed."""
    for figures in report["processes"].values():
        steps = figures["search"]
        assert 1 <= len(steps) <= 4 and steps[0]["offered_per_s"] in (400.0, 100.0)
        passed = [step["offered_per_s"] for step in steps if step["passed"]]
        assert figures["max_rate_p99_under_100ms"] in [*passed, 200.0]
        assert all(rate <= figures["max_rate_p99_under_100ms"] for rate in passed)
