"""The HTTP port's uncaught errors: a 500 and one structlog line by class, never uvicorn's traceback with the row."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import stamina.instrumentation
import structlog
from fastapi import FastAPI

from consumers.web.errors import guarded
from sync_core.errors import MappingError
from sync_core.logs import configure_logging
from tests.unit.asgi import AsgiClient

ROW = "Failing row contains (L1, Ada, Lovelace, 2001-02-03, 07700 900123)."  # a name at the raising line


class CheckViolation(Exception):
    """Stands for psycopg's: its message carries PostgreSQL's DETAIL with the row."""


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """Logging into a buffer; structlog, stamina's hooks and uvicorn's loggers restored afterwards."""
    loggers = {name: logging.getLogger(name) for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")}
    saved = {name: (logger.handlers[:], logger.propagate) for name, logger in loggers.items()}
    stream = io.StringIO()
    configure_logging("INFO", stream=stream)
    yield stream
    structlog.reset_defaults()
    stamina.instrumentation.set_on_retry_hooks(None)
    for name, (handlers, propagate) in saved.items():
        loggers[name].handlers, loggers[name].propagate = handlers, propagate


def app() -> FastAPI:
    routes = FastAPI()

    @routes.post("/parked/{parked_id}/discard")
    def discard(parked_id: int) -> None:
        raise CheckViolation(ROW)

    @routes.get("/learner")
    async def learner() -> None:
        raise MappingError("no SA learner is linked to PICS record L1")

    return routes


def test_a_route_error_is_a_500_and_one_line_by_class(log_stream: io.StringIO) -> None:
    """A database error in a route answers a plain 500 and logs route template, method and class; the row never."""
    answer = AsgiClient(guarded(app())).post("/parked/7/discard")
    assert (answer.status_code, answer.text) == (500, "Internal Server Error")
    assert answer.headers["content-security-policy"].startswith("default-src 'none'")
    assert (answer.headers["x-frame-options"], answer.headers["x-content-type-options"]) == ("DENY", "nosniff")
    [line] = [json.loads(text) for text in log_stream.getvalue().splitlines()]
    assert (line["event"], line["method"], line["path"], line["error"], line["reason"]) == (
        "http.route_failed", "POST", "/parked/{parked_id}/discard", "CheckViolation", None,
    )  # fmt: skip
    assert "Lovelace" not in log_stream.getvalue() and "Failing row" not in log_stream.getvalue()


def test_our_error_in_a_route_keeps_its_message(log_stream: io.StringIO) -> None:
    """One of our errors escaping a route is logged with our own message."""
    assert AsgiClient(guarded(app())).get("/learner").status_code == 500
    [line] = [json.loads(text) for text in log_stream.getvalue().splitlines()]
    assert (line["error"], line["reason"]) == ("MappingError", "no SA learner is linked to PICS record L1")


def test_uvicorns_own_lines_go_through_structlog_by_template(log_stream: io.StringIO) -> None:
    """uvicorn's logger writes its template and the exception's class through structlog, never the values nor the traceback."""
    guarded(app())
    try:
        raise CheckViolation(ROW)
    except CheckViolation:
        logging.getLogger("uvicorn.error").error("Exception in ASGI application %s", ROW, exc_info=True)
    [line] = [json.loads(text) for text in log_stream.getvalue().splitlines()]
    assert (line["event"], line["reason"], line["error"]) == (
        "http.server_message", "Exception in ASGI application %s", "CheckViolation",
    )  # fmt: skip
    assert "Lovelace" not in log_stream.getvalue() and "Traceback" not in log_stream.getvalue()
