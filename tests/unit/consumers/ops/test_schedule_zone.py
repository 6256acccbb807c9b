"""The schedule on PICS's wall clock (Europe/London): --at keeps its local time through BST's start and end."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from consumers.ops.schedule import next_run
from sync_core import clock

LONDON = clock.zone("Europe/London")
DAY = timedelta(hours=24)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("now", "at", "every", "expected"),
    [
        pytest.param(utc(2026, 7, 14, 23, 0), time(0, 30), DAY, utc(2026, 7, 14, 23, 30), id="BST-00:30-is-23:30-UTC"),
        pytest.param(utc(2026, 1, 14, 23, 0), time(0, 30), DAY, utc(2026, 1, 15, 0, 30), id="GMT-00:30-is-00:30-UTC"),
        pytest.param(utc(2026, 3, 28, 3, 0), time(2, 0), DAY, utc(2026, 3, 29, 1, 0), id="spring-forward-02:00-BST-23h-later"),
        pytest.param(utc(2026, 3, 28, 3, 0), time(1, 30), DAY, utc(2026, 3, 29, 1, 30), id="spring-forward-missing-01:30-runs-02:30-BST"),
        pytest.param(utc(2026, 10, 24, 3, 0), time(2, 0), DAY, utc(2026, 10, 25, 2, 0), id="fall-back-02:00-GMT-25h-later"),
        pytest.param(utc(2026, 10, 25, 1, 30), time(1, 45), DAY, utc(2026, 10, 26, 1, 45), id="fall-back-repeated-01:45-not-run-twice"),
    ],
)  # fmt: skip
def test_next_run_on_the_london_clock(now: datetime, at: time, every: timedelta, expected: datetime) -> None:
    """--at is London's time of day; the next run is the first such instant after now."""
    due = next_run(now.astimezone(LONDON), at, every)
    assert due.astimezone(UTC) == expected
    assert due.astimezone(UTC) > now
