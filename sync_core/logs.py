"""structlog configured once: JSON lines, context variables, and no personal data.

``drop_personal_data`` removes every key that could hold a learner's or officer's personal details
(names, date of birth, NI number, contact details, ethnicity, disability) and credentials, wherever
in the event dict it sits, so a careless ``log.info(..., learner=row)`` cannot leak them.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any, TextIO, cast

import structlog

REDACTED = "[redacted]"

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
            drop_personal_data,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(stream or cast(TextIO, _CurrentStderr())),
        cache_logger_on_first_use=True,
    )
