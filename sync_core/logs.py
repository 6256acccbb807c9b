"""structlog configured once: JSON lines, context variables, and no personal data.

``drop_personal_data`` removes every key that could hold a learner's or officer's personal details
(names, date of birth, NI number, contact details, ethnicity, disability) and credentials, wherever
in the event dict it sits, so a careless ``log.info(..., learner=row)`` cannot leak them. The other
ways a value could reach a line are closed here too: exceptions are rendered without locals and with
only our own messages, stamina's retries are logged without the retried call's arguments, and the
stdlib loggers of httpx and httpcore, which write every request's URL, are kept to warnings.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from collections.abc import Mapping, MutableMapping
from typing import Any, TextIO, cast

import stamina.instrumentation
import structlog
from structlog.typing import ExcInfo

from sync_core.errors import SyncError

REDACTED = "[redacted]"
# Their INFO lines hold whole request URLs, and SA's searches put e-mail and postcode in the query.
_URL_LOGGERS = ("httpx", "httpcore")

# Matched against keys with case, dashes and underscores folded, so firstName, first_name and
# FIRST-NAME are one key.
_PERSONAL_KEYS = frozenset(
    {
        "firstname", "surname", "lastname", "name", "fullname", "dateofbirth", "dob", "uln",
        "ninumber", "nationalinsurancenumber", "email", "phone", "phonenumber", "mobile",
        "mobilenumber", "address", "address1", "address2", "address3", "address4", "postcode",
        "gender", "ethnicity", "disability", "password", "clientkey", "token", "accesstoken",
        "authorization", "databaseurl", "fields", "payload", "learner", "body",
    }
)  # fmt: skip


def _fold(key: str) -> str:
    return re.sub(r"[^a-z0-9]", "", key.lower())


def _scrub(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: REDACTED if _fold(str(k)) in _PERSONAL_KEYS else _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    return value


def drop_personal_data(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: replace personal and secret values with a marker, at any depth."""
    scrubbed: MutableMapping[str, Any] = _scrub(event_dict)
    return scrubbed


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
    message = str(error) if isinstance(error, SyncError) else REDACTED
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


class _CurrentStderr:
    """Writes to whatever ``sys.stderr`` is at the time, not the one seen when logging was set up."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(level: str = "INFO", stream: Any = None) -> None:
    """Set up JSON logging for the whole process (the one global pics-sync keeps)."""
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            # Ahead of drop_personal_data, so the rendered field passes through it, and because its
            # scrub turns an exc_info tuple into a list, which the renderer would no longer recognise.
            structlog.processors.ExceptionRenderer(render_exception),
            drop_personal_data,
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
    # stamina's default structlog hook logs the retried call's arguments; its Prometheus counter stays.
    stamina.instrumentation.set_on_retry_hooks((stamina.instrumentation.PrometheusOnRetryHook, log_retry))
