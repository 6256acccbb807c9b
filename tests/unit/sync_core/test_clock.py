"""Dates on PICS's clock (Europe/London): the day of an instant near midnight, Y1's window from it, the zone setting."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from sync_core import clock
from sync_core.config import load_config
from sync_core.errors import ConfigurationError
from sync_core.rules.eligibility import ended_window

LONDON = clock.zone("Europe/London")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


# (instant, London day, an end date that Y1 takes or refuses on that day, taken?)
Y1_TABLE = [
    pytest.param(utc(2026, 7, 14, 23, 30), date(2026, 7, 15), date(2026, 7, 15), True, id="Y1-BST-00:30-is-next-day-ended-today-eligible"),
    pytest.param(utc(2026, 7, 31, 23, 30), date(2026, 8, 1), date(2026, 6, 30), False, id="Y1-BST-00:30-1-Aug-month-counts-from-1-Jul"),
    pytest.param(utc(2026, 7, 14, 22, 59, 59), date(2026, 7, 14), date(2026, 7, 15), False, id="Y1-BST-23:59:59-still-that-day"),
    pytest.param(utc(2026, 7, 14, 23, 0), date(2026, 7, 15), date(2026, 7, 15), True, id="Y1-BST-midnight-exactly-new-day"),
    pytest.param(utc(2026, 1, 14, 23, 30), date(2026, 1, 14), date(2026, 1, 15), False, id="Y1-GMT-23:30-same-day-as-UTC"),
    pytest.param(utc(2026, 1, 15, 0, 30), date(2026, 1, 15), date(2025, 12, 15), True, id="Y1-GMT-00:30-same-day-as-UTC"),
    pytest.param(utc(2026, 3, 28, 23, 30), date(2026, 3, 28), date(2026, 3, 29), False, id="Y1-spring-forward-eve-23:30-GMT"),
    pytest.param(utc(2026, 3, 29, 0, 59), date(2026, 3, 29), date(2026, 3, 29), True, id="Y1-spring-forward-00:59-GMT"),
    pytest.param(utc(2026, 3, 29, 23, 30), date(2026, 3, 30), date(2026, 3, 30), True, id="Y1-spring-forward-night-00:30-BST"),
    pytest.param(utc(2026, 10, 24, 23, 30), date(2026, 10, 25), date(2026, 10, 25), True, id="Y1-fall-back-day-00:30-BST"),
    pytest.param(utc(2026, 10, 25, 0, 30), date(2026, 10, 25), date(2026, 10, 25), True, id="Y1-fall-back-01:30-BST"),
    pytest.param(utc(2026, 10, 25, 23, 30), date(2026, 10, 25), date(2026, 10, 26), False, id="Y1-fall-back-night-23:30-GMT"),
]  # fmt: skip


@pytest.mark.parametrize(("instant", "day", "end_date", "eligible"), Y1_TABLE)
def test_Y1_counts_from_the_london_day(instant: datetime, day: date, end_date: date, eligible: bool) -> None:
    """Y1: the run's (or event's) day is London's, so the calendar month before it and the end dates it takes follow."""
    on = clock.local_date(instant, LONDON)
    since, until = ended_window(on)
    assert on == day
    assert (since <= end_date <= until) is eligible


def test_today_is_the_london_day(monkeypatch: pytest.MonkeyPatch) -> None:
    """A run with no date given at 00:30 BST is dated that BST day, not UTC's day before."""
    monkeypatch.setattr(clock, "now", lambda: utc(2026, 7, 14, 23, 30))
    assert clock.today(LONDON) == date(2026, 7, 15)


def test_a_naive_time_is_refused() -> None:
    """A time without a zone names no instant: refused rather than taken as the host's."""
    with pytest.raises(ValueError, match="naive"):
        clock.local_date(datetime(2026, 7, 14, 23, 30), LONDON)


def test_the_zone_is_configurable_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """PICS_SYNC_TIMEZONE defaults to Europe/London; another IANA zone is taken; an unknown one is one line at start."""
    assert load_config().zone == LONDON
    monkeypatch.setenv("PICS_SYNC_TIMEZONE", "Europe/Dublin")
    assert load_config().zone == clock.zone("Europe/Dublin")
    monkeypatch.setenv("PICS_SYNC_TIMEZONE", "Europe/Atlantis")
    with pytest.raises(ConfigurationError, match=r"PICS_SYNC_TIMEZONE: .*unknown time zone 'Europe/Atlantis'"):
        load_config()
