"""The HTTP port's uncaught errors, logged through structlog by class and our own message.

Left to themselves, an error escaping a route goes to Starlette's ``ServerErrorMiddleware`` (a 500,
then raised again) and on to uvicorn, whose stdlib logger prints the traceback with the exception's
message: for a database error, PostgreSQL's "Failing row contains (…)" with a learner's row.
``guarded`` wraps the whole app so that such an error ends here: one ``http.route_failed`` line (the
route's template, the error's class, our own message if it is ours), and a plain 500 if no answer
was started. uvicorn's own loggers are routed through structlog too, by their message templates
only (never the values formatted into them) and the class of any exception.
"""

from __future__ import annotations

import logging
from typing import Any

import structlog
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from consumers.web.guard import with_headers
from sync_core.logs import message_of

_UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")


class LoggedErrors:
    """ASGI middleware: an exception from the app is logged once, by class, and answered 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False
        # A 500 is sent outside ``Guard`` (by Starlette's outermost layer, or here): it gets Guard's headers.
        # Only a 5xx: another app this server runs (a test's page from "another site") keeps its own.
        secured = with_headers(send)

        async def sending(message: Message) -> None:
            nonlocal started
            starting = message["type"] == "http.response.start"
            started = started or starting
            await (secured if starting and message["status"] >= 500 else send)(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as failed:
            route = getattr(scope.get("route"), "path", None)  # the template: /parked/{parked_id}/discard
            log = structlog.get_logger("pics_sync.http")
            log.error("http.route_failed", method=scope.get("method"), path=route,
                      error=type(failed).__name__, reason=message_of(failed))  # fmt: skip
            if scope["type"] == "http" and not started:
                await PlainTextResponse("Internal Server Error", status_code=500)(scope, receive, secured)


class ToStructlog(logging.Handler):
    """A stdlib handler writing each record as a structlog line: its template and its exception's class."""

    def emit(self, record: logging.LogRecord) -> None:
        error = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else None
        structlog.get_logger(record.name).log(
            record.levelno, "http.server_message", reason=str(record.msg), error=error, logger=record.name
        )


def guarded(app: ASGIApp) -> Any:
    """``app`` behind ``LoggedErrors``, with uvicorn's loggers writing through structlog."""
    for name in _UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers = [ToStructlog()]
        logger.propagate = False
    return LoggedErrors(app)
