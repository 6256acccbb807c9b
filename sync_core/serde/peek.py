"""The envelope's first two fields read straight from a framed value, without decoding the event.

Every topic record starts with ``event_id`` (a string) and ``occurred_at`` (timestamp-millis), in
every version (a unit test holds ``schemas/`` to that). The consume loop reads the ids of a whole
poll to ask the ledger about them at once; the metrics read the time. Unreadable bytes give None:
the full decode, later, says what is wrong with them.
"""

from __future__ import annotations

from sync_core.errors import UndecodableEvent
from sync_core.serde import framing


def event_id(value: bytes | None) -> str | None:
    """The envelope's ``event_id``; None if the bytes cannot be read that far."""
    data = value or b""
    try:
        _writer, at = framing.parse_header(data)
        length, at = _zigzag(data, at)
        if length < 0 or at + length > len(data):
            return None
        return data[at : at + length].decode("utf-8")
    except (UndecodableEvent, IndexError, UnicodeDecodeError):
        return None


def occurred_at(value: bytes | None) -> float | None:
    """The envelope's ``occurred_at`` in epoch seconds; None if the bytes cannot be read that far."""
    data = value or b""
    try:
        _writer, at = framing.parse_header(data)
        length, at = _zigzag(data, at)
        millis, _end = _zigzag(data, at + length)
    except (UndecodableEvent, IndexError):
        return None
    return millis / 1000


def _zigzag(data: bytes, at: int) -> tuple[int, int]:
    """An Avro long at ``at``, and the offset after it."""
    shift = raw = 0
    while True:
        byte = data[at]
        raw, at, shift = raw | (byte & 0x7F) << shift, at + 1, shift + 7
        if not byte & 0x80:
            return (raw >> 1) ^ -(raw & 1), at
