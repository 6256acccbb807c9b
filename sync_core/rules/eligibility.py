"""Who is synchronised: rules Y1 and Y2 of DOMAIN.md §2 (Y1 the daily run's, Y2 v2 a push's)."""

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


def is_live(learner: Mapping[str, Any]) -> bool:
    """Y2: the learner's system status is Live (the one test a pushed change passes, v2)."""
    return learner.get("system_status") == LIVE


def is_eligible(learner: Mapping[str, Any], sa_id: str | None, on: date) -> bool:
    """Y1: Live, enrolled in SA, and in learning or ended within the calendar month before ``on``."""
    if not is_live(learner) or not sa_id:
        return False
    if learner.get("programme_status") == IN_LEARNING:
        return True
    ended: date | None = learner.get("end_date")
    return ended is not None and month_before(on) <= ended <= on
