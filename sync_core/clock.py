"""The one place a date is decided: the day an instant falls on in the service's time zone.

PICS and the people using it live on UK time: an edit made at 00:30 BST on 15 July is PICS's 15 July,
though it is 23:30 UTC on the 14th. So every date this service decides (the day an event happened,
a run's date and with them Y1's "within the last calendar month before the run, or the event's
time") is read off the wall clock of ``PICS_SYNC_TIMEZONE`` (default ``Europe/London``: GMT in
winter, BST in summer), never off UTC or the host's zone (a container's is UTC). Instants stay
timezone-aware everywhere else; only the step from an instant to a date is taken here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Europe/London"


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``; a ``ValueError`` saying so when this machine does not know it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (an IANA name such as {DEFAULT_ZONE})") from None


def now() -> datetime:
    """This instant, timezone-aware (tests replace it to stand at a chosen instant)."""
    return datetime.now(UTC)


def local_date(instant: datetime, in_zone: tzinfo) -> date:
    """The day ``instant`` falls on in ``in_zone``; a naive time is refused, as it names no instant."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("a naive time names no instant: give its zone")
    return instant.astimezone(in_zone).date()


def today(in_zone: tzinfo) -> date:
    """Today in ``in_zone``: a run's date when none is given."""
    return local_date(now(), in_zone)
