"""Who is synchronised: rules Y1 and Y2 of DOMAIN.md §2.

Y1, the daily run's eligibility, is decided by the query in ``sync_core.pics.eligible`` from these
names and ``ended_window``; Y2 (v2), a push's, is ``is_live``. The run's date, like every date, is
the day on PICS's clock (``sync_core.clock``): a run at 00:30 BST counts from that BST day.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

LIVE = "Live"
IN_LEARNING = "In Learning"


def month_before(day: date) -> date:
    """The same day one calendar month earlier (clamped to that month's last day)."""
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    for candidate in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


def ended_window(on: date) -> tuple[date, date]:
    """Y1: the first and last end date (both included) that keep a learner no longer In Learning
    eligible on ``on``: the calendar month before ``on``, up to ``on`` itself."""
    return month_before(on), on


def is_live(learner: Mapping[str, Any]) -> bool:
    """Y2: the learner's system status is Live (the one test a pushed change passes, v2)."""
    return learner.get("system_status") == LIVE
