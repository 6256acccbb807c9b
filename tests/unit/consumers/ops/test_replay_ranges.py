"""Replay's range: --from/--to as written, and the [start, end) offsets they give per partition."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import pytest

from consumers.ops.replay import Position, offset_ranges, parse_position

NINE = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TEN = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
MARKS = {0: (0, 10), 1: (4, 6), 2: (0, 0)}  # partition → (low, high)
AT = {NINE: {0: 3, 1: None, 2: None}, TEN: {0: 7, 1: None, 2: None}}  # the first offset at or after the time


def at(when: datetime) -> Mapping[int, int | None]:
    return AT[when]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("earliest", "earliest", id="earliest"),
        pytest.param("latest", "latest", id="latest"),
        pytest.param("offset:42", 42, id="offset"),
        pytest.param("2026-11-23T09:00:00Z", NINE, id="utc-time"),
        pytest.param("2026-11-23T10:00:00+01:00", NINE, id="time-with-offset"),
    ],
)
def test_positions_parse(text: str, expected: Position) -> None:
    """Each written form gives its position."""
    assert parse_position(text) == expected


@pytest.mark.parametrize("text", ["2026-11-23T09:00:00", "offset:-1", "offset:x", "yesterday"])
def test_bad_positions_refused(text: str) -> None:
    """A time without its zone, a negative offset or other text is refused."""
    with pytest.raises(ValueError):
        parse_position(text)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        pytest.param("earliest", "latest", {0: (0, 10), 1: (4, 6), 2: (0, 0)}, id="whole-topic"),
        pytest.param(5, "latest", {0: (5, 10), 1: (5, 6), 2: (0, 0)}, id="offset-in-every-partition-clamped"),
        pytest.param("earliest", 2, {0: (0, 2), 1: (4, 4), 2: (0, 0)}, id="end-before-start-is-empty"),
        pytest.param(NINE, "latest", {0: (3, 10), 1: (6, 6), 2: (0, 0)}, id="time-none-after-is-empty"),
        pytest.param(NINE, TEN, {0: (3, 7), 1: (6, 6), 2: (0, 0)}, id="time-to-time"),
        pytest.param(99, "latest", {0: (10, 10), 1: (6, 6), 2: (0, 0)}, id="past-the-end-is-empty"),
    ],
)
def test_offset_ranges(start: Position, end: Position, expected: dict[int, tuple[int, int]]) -> None:
    """--from is inclusive, --to exclusive; both stay within each partition's watermarks."""
    assert offset_ranges(MARKS, start, end, at) == expected
