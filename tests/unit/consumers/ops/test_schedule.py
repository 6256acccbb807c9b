"""The scheduler's arithmetic: when `pull daily --every … --at …` runs next."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from consumers.ops.schedule import next_run, parse_at, parse_every


@pytest.mark.parametrize(
    ("now", "every", "expected"),
    [
        pytest.param(
            datetime(2026, 11, 23, 1, 0, tzinfo=UTC), "24h", datetime(2026, 11, 23, 2, 0, tzinfo=UTC), id="later-today"
        ),
        pytest.param(
            datetime(2026, 11, 23, 9, 0, tzinfo=UTC), "24h", datetime(2026, 11, 24, 2, 0, tzinfo=UTC), id="tomorrow"
        ),
        pytest.param(
            datetime(2026, 11, 23, 2, 0, tzinfo=UTC),
            "24h",
            datetime(2026, 11, 24, 2, 0, tzinfo=UTC),
            id="exactly-now-is-next-day",
        ),
        pytest.param(
            datetime(2026, 11, 23, 9, 30, tzinfo=UTC),
            "6h",
            datetime(2026, 11, 23, 14, 0, tzinfo=UTC),
            id="every-6h-from-2am",
        ),
        pytest.param(
            datetime(2026, 11, 23, 0, 30, tzinfo=UTC),
            "6h",
            datetime(2026, 11, 23, 2, 0, tzinfo=UTC),
            id="before-anchor",
        ),
    ],
)
def test_next_run(now: datetime, every: str, expected: datetime) -> None:
    """The next run is the first slot after now on the grid through --at every --every."""
    assert next_run(now, time(2, 0), parse_every(every)) == expected


@pytest.mark.parametrize(
    ("text", "delta"), [("24h", timedelta(hours=24)), ("1d", timedelta(days=1)), ("90m", timedelta(minutes=90))]
)
def test_parse_every(text: str, delta: timedelta) -> None:
    """--every takes days, hours or minutes."""
    assert parse_every(text) == delta


@pytest.mark.parametrize("text", ["", "0h", "24", "daily"])
def test_bad_every_is_refused(text: str) -> None:
    """A malformed --every says what it takes."""
    with pytest.raises(ValueError, match="--every takes"):
        parse_every(text)


def test_bad_at_is_refused() -> None:
    """A malformed --at says what it takes."""
    with pytest.raises(ValueError, match="--at takes"):
        parse_at("2am")
