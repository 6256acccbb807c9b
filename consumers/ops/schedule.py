"""When the next scheduled run is due: ``pull daily --every 24h --at 02:00``."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta


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
    """The first time after ``now`` that is ``at`` on some day plus a whole number of ``every``s."""
    anchor = datetime.combine(now.date(), at, tzinfo=now.tzinfo)
    if anchor > now:
        while anchor - every > now:
            anchor -= every
        return anchor
    steps = (now - anchor) // every + 1
    return anchor + steps * every
