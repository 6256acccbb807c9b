"""``bench push --processes``: the max-rate search's steps and answer, the list of N, the median turn (#18 item 3)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

import pytest

from consumers.cli import main
from consumers.cli.bench_cmd import _process_counts
from sandbox.bench.offered import highest_rate
from sandbox.bench.push_members import Turn, _median


def sustains_up_to(limit: float, tried: list[float]) -> Callable[[float], bool]:
    def step(rate: float) -> bool:
        tried.append(rate)
        return rate <= limit

    return step


@pytest.mark.parametrize(
    ("limit", "passed_at_200", "steps", "tried", "answer"),
    [
        pytest.param(1000.0, True, 6, [400, 800, 1600, 1200, 1000], (1000.0, False), id="double-then-bisect-twice"),
        pytest.param(5000.0, True, 3, [400, 800, 1600], (1600.0, True), id="steps-run-out-a-lower-bound"),
        pytest.param(300.0, True, 6, [400, 300, 350], (300.0, False), id="fails-at-the-first-double"),
        pytest.param(120.0, False, 6, [100, 150, 125], (100.0, False), id="200-fails-halve-then-bisect"),
        pytest.param(10.0, False, 3, [100, 50, 25], (0.0, False), id="nothing-passes-zero"),
    ],
)
def test_the_search_doubles_from_200_then_bisects_within_its_steps(
    limit: float, passed_at_200: bool, steps: int, tried: list[float], answer: tuple[float, bool]
) -> None:
    """A runtime that sustains ``limit``: the rates tried, in order, and the highest that passed."""
    seen: list[float] = []
    assert highest_rate(passed_at_200, sustains_up_to(limit, seen), steps) == answer
    assert seen == tried


def test_processes_is_a_list_of_counts_sorted_each_once() -> None:
    assert _process_counts("2,1, 4,2") == [1, 2, 4]
    for wrong in ("0,1", "1,,2", "two", "-1"):
        with pytest.raises(argparse.ArgumentTypeError):
            _process_counts(wrong)


def test_each_contender_reports_its_median_turn() -> None:
    turns = [Turn(events=1000, seconds=1000 / rate, cpu_s=1.0, client_ids=[]) for rate in (800.0, 600.0, 700.0)]
    assert _median(turns).events_per_s == pytest.approx(700.0)


def test_more_processes_than_the_cap_is_refused_before_any_stack_starts(capsys: pytest.CaptureFixture[str]) -> None:
    """Each member needs at least one SA call of the shared cap: exit 2 and one line, as `run --processes` does."""
    assert main(["bench", "push", "--processes", "1,8", "--concurrency", "4"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "pics-sync: --processes 8 is more than --concurrency 4: the cap is shared among the members, each needs"
        " at least one SA call at once"
    ]
