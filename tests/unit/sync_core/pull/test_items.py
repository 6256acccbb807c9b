"""The readers every SA value goes through (P14): the type the schema wants, or a BadItem naming the field, not the value."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from sync_core.pull import items
from sync_core.pull.items import BadItem


@pytest.mark.parametrize(
    ("reader", "value", "expected"),
    [
        pytest.param(items.day, "2026-09-01", date(2026, 9, 1), id="date"),
        pytest.param(items.day, "", None, id="P13-blank-date-is-none"),
        pytest.param(items.day, None, None, id="no-date"),
        pytest.param(lambda r, n: items.moment(r, n), "2026-11-02T09:00:00Z", datetime(2026, 11, 2, 9, tzinfo=UTC), id="date-time-utc"),
        pytest.param(items.whole, 20, 20, id="whole"),
        pytest.param(items.whole, 20.0, 20, id="whole-written-as-float"),
        pytest.param(items.number, 12, 12.0, id="number"),
        pytest.param(items.text, "", "", id="P13-blank-text-kept-for-P13-to-drop"),
        pytest.param(items.identifier, 5001, "5001", id="numeric-sa-id"),
        pytest.param(lambda r, n: items.one_of(r, n, ("planned", "attended")), "planned", "planned", id="known-value"),
    ],
)  # fmt: skip
def test_readers_accept_what_sa_defines(reader: Callable[[Any, str], Any], value: Any, expected: Any) -> None:
    """P14: values of the shape SA's contract gives are read as the schema's types; blanks are not malformed (P13)."""
    assert reader({"f": value}, "f") == expected


@pytest.mark.parametrize(
    ("reader", "value", "problem"),
    [
        pytest.param(items.day, "2026-02-30", "not a date", id="P14-impossible-date"),
        pytest.param(items.day, 20260901, "not a date", id="P14-date-as-number"),
        pytest.param(lambda r, n: items.moment(r, n), "2026-11-02 nine", "not a date and time", id="P14-bad-date-time"),
        pytest.param(lambda r, n: items.moment(r, n), "2026-11-02T09:00:00", "no UTC offset", id="P14-date-time-without-offset"),
        pytest.param(lambda r, n: items.moment(r, n, required=True), "", "missing", id="P14-required-date-time-blank"),
        pytest.param(items.whole, "20", "not a whole number", id="P14-whole-as-text"),
        pytest.param(items.whole, 2.5, "not a whole number", id="P14-fraction"),
        pytest.param(items.whole, True, "not a whole number", id="P14-bool-is-no-number"),
        pytest.param(items.number, "12.5", "not a number", id="P14-number-as-text"),
        pytest.param(items.text, 1234, "not text", id="P14-number-for-text"),
        pytest.param(items.identifier, "", "missing", id="P14-blank-id"),
        pytest.param(lambda r, n: items.one_of(r, n, ("planned",)), "no_show", "unknown value", id="P14-unknown-status"),
    ],
)  # fmt: skip
def test_readers_refuse_with_the_field_never_the_value(
    reader: Callable[[Any, str], Any], value: Any, problem: str
) -> None:
    """P14: a malformed value is a BadItem (rule P14) naming the field and the problem; its message holds no value."""
    with pytest.raises(BadItem) as raised:
        reader({"dateOfBirth": value}, "dateOfBirth")
    assert (raised.value.field, raised.value.problem, raised.value.rule) == ("dateOfBirth", problem, "P14")
    assert str(raised.value) == f"dateOfBirth: {problem}"
