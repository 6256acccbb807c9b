"""What may reach an output: an allow-list of keys, and patterns for the values no key names.

A log record keeps a key's value only when the key is on ``LOGGABLE`` (ids, counts, outcomes, reasons,
error classes: what an operator needs), and even then every string in it, at any depth, passes the
value patterns. Any other key's value becomes ``REDACTED``, so a record naming a field we did not
foresee (``login``, ``birth_date``, ``forename``, ``email_address``, ``telephone``, ``nino``) holds
nothing of it. The patterns catch what a message or another system's string quotes:

    e-mail address                          ada@example.org           [email]
    URL and connection-string password      postgresql://u:pw@h/db    postgresql://u:***@h/db
                                            password=pw               password=***
    NI number                               AB 12 34 56 C             [ni-number]
    UK phone number                         07700 900123,             [phone]
                                            (0113) 496 0123, +44(0)…
    UK postcode                             LS1 1AA                   [postcode]
    date                                    2001-02-03, 3/2/2001,     [date]
                                            3 Feb 2001

A name cannot be told from other words by its form: it is kept out by the keys, and by never taking
another system's free text (SA's error ``message``, a library exception's) in the first place. The
values of ``TIMES`` keys (``timestamp``, ``run_date``…) are dates we made: one that is a bare ISO date
or time stays, anything else under them is scrubbed like the rest.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

REDACTED = "[redacted]"
MASK = "***"

# Matched with case, dashes and underscores folded: eventId, event_id and EVENT-ID are one key.
LOGGABLE = frozenset(
    {
        # structlog's own, and the exception the renderer made of exc_info
        "event", "level", "timestamp", "exception", "logger",
        # what one event or run is, and what became of it
        "eventid", "eventtype", "key", "learnerident", "topic", "topics", "partition", "offset", "group",
        "outcome", "reason", "rule", "error", "errorclass", "problem", "item", "field", "code", "status",
        "hint", "fatal", "url", "path", "method", "thread", "callable", "attempt", "waits", "at", "after",
        "parkedid", "discarded", "applied", "skipped", "parked", "duplicate", "pending", "circuit",
        "workers", "samaxconcurrency", "sacalls", "side", "generation", "partitions", "memberid", "count",
        "seconds",
        # run --processes N: its members (consumers.supervisor)
        "member", "pid", "processes",
        # the daily pull's run (sync.pull_runs) and progress
        "id", "runid", "rundate", "scope", "checkpoint", "learners", "learnersread", "learnerseligible",
        "learnersfailed", "remaining", "events", "sessionsunmapped", "itemsdropped", "droppedreasons",
    }
)  # fmt: skip
TIMES = frozenset({"timestamp", "rundate", "at", "startedat", "finishedat"})

_DATE_WORDS = "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec"
# In order: credentials first, so an e-mail pattern never sees ``pw@host``.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^\s:/@]*:)[^\s/]*@", re.I), rf"\g<head>{MASK}@"),
    (re.compile(r"(?P<head>\bpassword\s*=\s*)(?:'(?:[^'\\]|\\.)*'|[^\s&'\"]+)", re.I), rf"\g<head>{MASK}"),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    (re.compile(r"(?<![\w-])[A-Z]{2}\s?(?:\d{2}\s?){3}[A-D](?![\w-])", re.I), "[ni-number]"),
    (re.compile(r"(?<![\w+-])(?:\+44\s?(?:\(0\)\s?)?|\(?0)\d(?:[\s)-]{0,2}\d){8,9}(?![\w-])"), "[phone]"),
    (re.compile(r"(?<![\w-])[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}(?![\w-])", re.I), "[postcode]"),
    (re.compile(r"(?<!\d)\d{4}-\d{1,2}-\d{1,2}(?!\d)"), "[date]"),
    (re.compile(r"(?<![\d./])\d{1,2}[/.]\d{1,2}[/.](?:\d{4}|\d{2})(?![\d./])"), "[date]"),
    (re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_DATE_WORDS})[a-z]*\.?,?\s+\d{{4}}\b", re.I), "[date]"),
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def fold(key: str) -> str:
    """A key with case, dashes and underscores folded."""
    return re.sub(r"[^a-z0-9]", "", key.lower())


def scrub_text(text: str) -> str:
    """``text`` with every e-mail, NI number, UK phone, postcode, date and password the patterns know replaced."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def mask_url(url: str) -> str:
    """A database (or any) URL or connection string with its password masked, to show an operator."""
    return scrub_text(url)


def bounded(text: str | None, limit: int) -> str | None:
    """Another system's short string (SA's error ``code``, ``field``) made safe to keep: scrubbed, on one
    line, and at most ``limit`` characters (ending ``…`` when cut)."""
    if text is None:
        return None
    safe = _CONTROL.sub(" ", scrub_text(text)).strip()
    return safe if len(safe) <= limit else safe[: limit - 1] + "…"


def redact(record: Mapping[str, Any]) -> dict[str, Any]:
    """A log record with every key off the allow-list redacted and every string scrubbed, at any depth."""
    return {key: _value(fold(str(key)), value) for key, value in record.items()}


def _value(key: str, value: Any) -> Any:
    if key not in LOGGABLE and key not in TIMES:
        return REDACTED
    if key in TIMES and _is_our_time(value):
        return value
    if key == "droppedreasons" and isinstance(value, Mapping):  # reason → count
        return {scrub_text(str(k)): v if _is_number(v) else REDACTED for k, v in value.items()}
    return _scrubbed(value)


def _scrubbed(value: Any) -> Any:
    if isinstance(value, Mapping):
        return redact(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [_scrubbed(item) for item in value]
    if value is None or _is_number(value):
        return value
    if isinstance(value, date | time):
        return "[date]"
    return scrub_text(value if isinstance(value, str) else str(value))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float)  # bool is an int


def _is_our_time(value: Any) -> bool:
    if isinstance(value, date | time):
        return True
    if not isinstance(value, str):
        return False
    for parse in (datetime.fromisoformat, time.fromisoformat):
        try:
            parse(value)
        except ValueError:
            continue
        return True
    return False
