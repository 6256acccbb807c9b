"""structlog configured once: JSON lines, context variables, and no personal data.

``drop_personal_data`` keeps only the keys ``sync_core.redaction`` allows and scrubs every string left
(e-mail, NI number, UK phone and postcode, dates, passwords), wherever in the event dict it sits, so a
careless ``log.info(..., learner=row)`` or a message quoting a value cannot leak them. The other ways
a value could reach a line are closed here too: exceptions are rendered without locals and with only
our own messages, an exception that escapes a thread is logged by class and our message
(``install_thread_hook``), stamina's retries are logged without the retried call's arguments, and the
stdlib loggers of httpx and httpcore, which write every request's URL, are kept to warnings.

On a terminal the lines per event (``PER_EVENT``) are DEBUG lines: a person running a replay by hand
reads its summary, not one line per event (``--verbose`` prints those). Written to a pipe or a file, as
a service's log collector reads it, they stay at INFO. Dates and times are written as ISO strings.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Mapping, MutableMapping
from datetime import date, time
from typing import Any, TextIO, cast

import stamina.instrumentation
import structlog
from structlog.typing import EventDict, ExcInfo, Processor

from sync_core.errors import SyncError
from sync_core.redaction import REDACTED, redact, scrub_text

__all__ = [
    "REDACTED",
    "configure_logging",
    "drop_personal_data",
    "install_thread_hook",
    "iso_times",
    "log_retry",
    "message_of",
    "per_event_at_debug",
    "render_exception",
]

PER_EVENT = frozenset({"event.processed"})  # one line per event: the canonical line of each delivery
# Their INFO lines hold whole request URLs, and SA's searches put e-mail and postcode in the query.
_URL_LOGGERS = ("httpx", "httpcore")
# Its WARNING lines repeat the server's words on every failed connection attempt (host, port, user), to
# stderr through the stdlib's last resort; the failure itself reaches us as PoolTimeout, translated once
# into DatabaseUnavailable (sync_core.state.database), so nothing is lost at ERROR.
_QUOTING_LOGGERS = ("psycopg.pool",)


def drop_personal_data(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: keys off the allow-list redacted, personal values in strings replaced, at any depth."""
    return redact(event_dict)


def iso_times(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: dates and times as ISO strings (``2026-12-01``), at any depth, not their repr.

    After ``drop_personal_data``, which leaves a date object only under a key of our own times (``run_date``).
    """
    return {key: _iso(value) for key, value in event_dict.items()}


def _iso(value: Any) -> Any:
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {key: _iso(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_iso(item) for item in value]
    return value


def per_event_at_debug(level: str) -> Processor:
    """structlog processor for a terminal: the ``PER_EVENT`` lines are DEBUG lines, dropped above DEBUG."""
    shown = logging.getLevelName(level) <= logging.DEBUG

    def demote(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
        if event_dict.get("event") not in PER_EVENT:
            return event_dict
        if not shown:
            raise structlog.DropEvent
        event_dict["level"] = "debug"
        return event_dict

    return demote


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def message_of(error: BaseException) -> str | None:
    """What of an exception may be written: our own message, scrubbed; None for another library's, which
    may quote what it was given (a row, a URL, an input)."""
    return scrub_text(str(error)) if isinstance(error, SyncError) else None


def render_exception(exc_info: ExcInfo) -> str:
    """The traceback of an exception and its causes, without locals, giving only our own errors' messages.

    ``SyncError`` messages are written to carry ids alone; any other library's may quote what it was
    given (httpx a URL with its query, psycopg a row's values, pydantic an input), so only its class shows.
    """
    chain: list[BaseException] = []
    error: BaseException | None = exc_info[1]
    while error is not None and all(error is not seen for seen in chain):
        chain.append(error)
        error = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    return "".join(map(_one_exception, reversed(chain)))


def _one_exception(error: BaseException) -> str:
    kind = type(error)
    message = message_of(error)
    message = REDACTED if message is None else message
    frames = "".join(traceback.format_tb(error.__traceback__))
    return f"Traceback (most recent call last):\n{frames}{kind.__module__}.{kind.__qualname__}: {message}\n"


def log_retry(details: stamina.instrumentation.RetryDetails) -> None:
    """stamina's on-retry hook: the callable, the attempt, the wait and the error's class, never the arguments."""
    structlog.get_logger("pics_sync.retry").warning(
        "retry.scheduled",
        callable=details.name,
        attempt=details.retry_num,
        wait_s=round(details.wait_for, 2),
        error=type(details.caused_by).__name__,
    )


def _log_thread_failure(failed: threading.ExceptHookArgs) -> None:
    """``threading.excepthook``: the thread, the class and our own message, as one log line."""
    if failed.exc_type is SystemExit:
        return
    error = failed.exc_value
    structlog.get_logger("pics_sync.thread").error(
        "thread.failed",
        thread=failed.thread.name if failed.thread is not None else None,
        error=failed.exc_type.__name__,
        reason=None if error is None else message_of(error),
    )


def install_thread_hook() -> None:
    """Log an exception that ends a thread through structlog, instead of the stdlib's traceback on stderr."""
    threading.excepthook = _log_thread_failure


class _CurrentStderr:
    """Writes to whatever ``sys.stderr`` is at the time, not the one seen when logging was set up."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def _with(context: Mapping[str, Any]) -> Processor:
    """structlog processor: ``context``'s fields on every line, under what the line itself sets."""

    def add(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
        return {**context, **event_dict}

    return add


def configure_logging(level: str = "INFO", stream: Any = None, context: Mapping[str, Any] | None = None) -> None:
    """Set up JSON logging for the whole process (the one global pics-sync keeps); ``context``: fields every
    line of this process carries, whatever thread writes it (a member's index under ``run --processes N``)."""
    terminal = [per_event_at_debug(level)] if _is_terminal(sys.stderr if stream is None else stream) else []
    constant = [_with(context)] if context else []
    structlog.configure(
        processors=[
            *constant,
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            *terminal,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            # Ahead of drop_personal_data, so the rendered field passes through it, and because its
            # scrub turns an exc_info tuple into a list, which the renderer would no longer recognise.
            structlog.processors.ExceptionRenderer(render_exception),
            drop_personal_data,
            iso_times,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(stream or cast(TextIO, _CurrentStderr())),
        cache_logger_on_first_use=True,
    )
    # Only the stdlib's last-resort handler writes stdlib records here, at WARNING; the levels keep
    # httpx's URLs out even when a library or a debugging session adds a handler at INFO or below.
    for name in _URL_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    for name in _QUOTING_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    # stamina's default structlog hook logs the retried call's arguments; its Prometheus counter stays.
    stamina.instrumentation.set_on_retry_hooks((stamina.instrumentation.PrometheusOnRetryHook, log_retry))
