"""``pics-sync bench push`` end to end on the real broker, PostgreSQL and sandbox, at a tiny size.

It checks what the report promises (issue #5), not how fast anything is: the machine is shared and
no test asserts a time.
"""

from __future__ import annotations

from typing import Any

import pytest

from consumers.cli.demo_cmd import stack_config
from sandbox.bench.push import bench_push
from sandbox.stack.local import Stack

FIGURES = {"events", "events_per_s", "p50_ms", "p99_ms", "sa_calls_per_event", "peak_rss_mb"}


@pytest.fixture(scope="module")
def report(stack: Stack) -> dict[str, Any]:
    assert stack.sa is not None
    return bench_push(
        stack, stack_config(stack), events=60, learners=12, latency=1.0, concurrency=4, steady_events=40, repeat=2
    )


def test_each_contender_reports_every_figure(report: dict[str, Any]) -> None:
    """naive, runtime and floor each give events/s, p50/p99, SA calls per event and peak RSS."""
    for contender in ("naive", "runtime", "floor"):
        assert set(report[contender]) - {"cpu_ms_per_event_by_stage"} == FIGURES
        assert report[contender]["events"] == 60
        assert report[contender]["events_per_s"] > 0 and report[contender]["peak_rss_mb"] > 0
    assert report["ratio_vs_naive"] == round(report["runtime"]["events_per_s"] / report["naive"]["events_per_s"], 1)
    assert report["ratio_vs_floor"] == round(report["runtime"]["events_per_s"] / report["floor"]["events_per_s"], 2)


def test_contenders_consume_only_the_timed_changes(report: dict[str, Any]) -> None:
    """Each contender starts where the untimed set-up stopped. The floor makes exactly one call per
    change; were it to read the set-up's enrolments again it would make more (1.2 at this size)."""
    assert report["floor"]["sa_calls_per_event"] == 1.0
    assert report["naive"]["sa_calls_per_event"] >= 0.9 and report["runtime"]["sa_calls_per_event"] >= 0.9


def test_steady_load_latency_is_measured_from_occurred_at(report: dict[str, Any]) -> None:
    """The offered-load phase times every event it sent, from occurred_at to SA's answer."""
    steady = report["at_200_per_s"]
    assert steady["events"] == 40
    assert 0 < steady["p50_ms"] <= steady["p99_ms"] < 5_000


def test_the_report_names_the_runtime_workers_beside_the_cap(report: dict[str, Any]) -> None:
    """The floor runs as many workers as the cap (4 here); the runtime runs 1.5 times as many, its SA
    calls held to the same cap, and the report says so."""
    assert (report["sa_max_concurrency"], report["runtime_workers"]) == (4, 6)


def test_repeated_contenders_report_one_median_run_each(report: dict[str, Any]) -> None:
    """With ``repeat`` 2 the runtime and the floor each ran twice; each reports one run's figures."""
    assert report["repeat"] == 2
    assert report["runtime"]["events"] == report["floor"]["events"] == 60


def test_the_runtime_reports_its_cpu_per_event_by_stage(report: dict[str, Any]) -> None:
    """The runtime's CPU per event is split into decode, ledger, X1, SA call, record, poll and the rest (issue
    #18): each stage it went through spent some, and they add up to the total."""
    stages = report["runtime"]["cpu_ms_per_event_by_stage"]
    assert set(stages) == {"decode", "ledger", "x1", "sa_call", "record", "poll", "rest", "total"}
    assert all(stages[stage] > 0 for stage in ("decode", "sa_call", "record", "poll", "total"))
    assert sum(ms for stage, ms in stages.items() if stage != "total") == pytest.approx(stages["total"], abs=0.01)
