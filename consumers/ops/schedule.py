"""When the next scheduled run is due: ``pull daily --every 24h --at 02:00``."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta


def parse_every(text: str) -> timedelta:
    """``24h``, ``90m``, ``1d`` → a timedelta; a clear error otherwise."""
    match = re.fullmatch(r"(\d+)([dhm])", text.strip())
    if match is None or int(match[1]) == 0:
        raise ValueError(f"--every takes a number and d, h or m (e.g. 24h), not {text!r}")
    unit = {"d": "days", "h": "hours", "m": "minutes"}[match[2]]
    return timedelta(**{unit: int(match[1])})


def parse_at(text: str) -> time:
    """``02:00`` → a time of day."""
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--at takes a time of day such as 02:00, not {text!r}") from None


def next_run(now: datetime, at: time, every: timedelta) -> datetime:
    """The first time after ``now`` that is ``at`` on some day plus a whole number of ``every``s.

    The grid is on the wall clock of ``now``'s zone (``PICS_SYNC_TIMEZONE``), so 02:00 stays 02:00
    through a change to or from BST: Python's arithmetic within one zone is wall-clock arithmetic. A
    slot the spring's missing hour skips runs an hour later; one that autumn's repeated hour puts
    behind ``now`` is not run twice.
    """
    anchor = datetime.combine(now.date(), at, tzinfo=now.tzinfo)
    if anchor > now:
        while anchor - every > now:
            anchor -= every
    else:
        anchor += ((now - anchor) // every + 1) * every
    while anchor.astimezone(UTC) <= now.astimezone(UTC):  # compared as instants, not as wall-clock times
        anchor += every
    return anchor
