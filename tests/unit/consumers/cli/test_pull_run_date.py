"""The daily pull's run date and schedule, as `pics-sync pull daily` decides them: on PICS's clock (Europe/London)."""

from __future__ import annotations

import argparse
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any, cast

import pytest

from consumers.cli import pull_cmd
from consumers.metrics import PullMetrics
from consumers.ops.daily_pull import PullOptions
from sync_core import clock
from sync_core.config import load_config

BST_00_30 = datetime(2026, 7, 14, 23, 30, tzinfo=UTC)  # 00:30 BST on 15 July


class Recorded:
    """What the command handed the daily pull, and how long it waited."""

    def __init__(self) -> None:
        self.run_dates: list[date] = []
        self.waits: list[float] = []


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Recorded:
    """The command with no service, no signal handlers and no real waiting; the pull records its run date."""
    seen = Recorded()

    @contextmanager
    def no_service(*_args: Any, **_kwargs: Any) -> Iterator[object]:
        yield object()

    def daily_pull(_service: object, options: PullOptions) -> dict[str, Any]:
        seen.run_dates.append(options.run_date)
        if options.stop is not None:
            options.stop.set()  # one scheduled run is enough
        return {"status": "succeeded"}

    class Stop(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            seen.waits.append(timeout or 0.0)
            return self.is_set()

    monkeypatch.setattr(pull_cmd, "open_service", no_service)
    monkeypatch.setattr(pull_cmd, "daily_pull", daily_pull)
    monkeypatch.setattr(pull_cmd, "_report", lambda *_: None)
    monkeypatch.setattr(pull_cmd.signal, "signal", lambda *_: None)
    monkeypatch.setattr(pull_cmd.threading, "Event", Stop)
    return seen


def run(*argv: str) -> None:
    top = argparse.ArgumentParser()
    pull_cmd.register(top.add_subparsers(dest="command", required=True))
    args = top.parse_args(["pull", "daily", *argv])
    metrics = cast(PullMetrics, SimpleNamespace(metrics=SimpleNamespace(sa_call=None), progress=None))
    pull_cmd._daily_runs(args, load_config(), metrics)


def test_Y1_a_pull_at_00_30_bst_is_dated_the_bst_day(recorded: Recorded, monkeypatch: pytest.MonkeyPatch) -> None:
    """Y1: `pull daily` at 00:30 BST, with no --date, counts eligibility from that BST day, not UTC's day before."""
    monkeypatch.setattr(clock, "now", lambda: BST_00_30)
    run()
    assert recorded.run_dates == [date(2026, 7, 15)]


def test_Y1_a_scheduled_pull_at_00_30_runs_at_00_30_bst_dated_that_day(
    recorded: Recorded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--every 24h --at 00:30` at midnight BST waits half an hour, not an hour and a half, and dates the run that day."""
    instants = iter([datetime(2026, 7, 14, 23, 0, tzinfo=UTC), datetime(2026, 7, 14, 23, 0, tzinfo=UTC)])
    monkeypatch.setattr(clock, "now", lambda: next(instants, BST_00_30))
    run("--every", "24h", "--at", "00:30")
    assert (recorded.waits[0], recorded.run_dates) == (1800.0, [date(2026, 7, 15)])
