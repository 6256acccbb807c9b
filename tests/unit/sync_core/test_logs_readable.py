"""Log lines a person reads: dates as ISO strings, not Python reprs; per-event lines at DEBUG on a terminal (#16)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import stamina.instrumentation
import structlog

from sync_core.logs import configure_logging, iso_times


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """Logging configured at DEBUG into a buffer; structlog and the stdlib levels restored afterwards."""
    levels = {name: logging.getLogger(name).level for name in ("httpx", "httpcore")}
    stream = io.StringIO()
    configure_logging("DEBUG", stream=stream)
    yield stream
    structlog.reset_defaults()
    stamina.instrumentation.set_on_retry_hooks(None)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def test_the_pulls_run_date_is_logged_as_an_iso_date(log_stream: io.StringIO) -> None:
    """The pull's ``run_date`` reads 2026-12-01, not ``datetime.date(2026, 12, 1)``."""
    structlog.get_logger().info("pull.started", run_date=date(2026, 12, 1))
    line = json.loads(log_stream.getvalue().splitlines()[-1])
    assert line["run_date"] == "2026-12-01"


def test_times_are_iso_at_any_depth() -> None:
    """A date or datetime inside a dict or list becomes its ISO string; other values are left alone."""
    moment = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    event = {"at": moment, "runs": [{"run_date": date(2026, 12, 1)}], "n": 3}
    assert iso_times(None, "info", event) == {
        "at": "2026-12-01T09:30:00+00:00",
        "runs": [{"run_date": "2026-12-01"}],
        "n": 3,
    }


def test_a_personal_date_is_still_redacted_not_rendered(log_stream: io.StringIO) -> None:
    """A date under a key that is not one of our times stays hidden: the ISO step runs after the redaction."""
    structlog.get_logger().info("learner.seen", event_id="e-1", date_of_birth=date(2001, 2, 3))
    assert "2001" not in log_stream.getvalue()


class _Terminal(io.StringIO):
    """A buffer that says it is a terminal, as stderr does when a person runs the command."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("stream", "level", "shown"),
    [
        pytest.param(_Terminal, "INFO", None, id="terminal-info-dropped"),
        pytest.param(_Terminal, "DEBUG", "debug", id="terminal-debug-shown-as-debug"),
        pytest.param(io.StringIO, "INFO", "info", id="pipe-info-kept-for-collectors"),
    ],
)
def test_per_event_lines_are_debug_lines_on_a_terminal(
    stream: type[io.StringIO], level: str, shown: str | None
) -> None:
    """event.processed (one a delivery: a replay's thousands) is DEBUG on a terminal, INFO into a pipe; others stay."""
    buffer = stream()
    configure_logging(level, stream=buffer)
    try:
        structlog.get_logger("per-event-test").info("event.processed", outcome="applied")
        structlog.get_logger("per-event-test").info("replay.finished")
    finally:
        structlog.reset_defaults()
        stamina.instrumentation.set_on_retry_hooks(None)
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert [line["level"] for line in lines if line["event"] == "event.processed"] == ([shown] if shown else [])
    assert [line["level"] for line in lines if line["event"] == "replay.finished"] == ["info"]
