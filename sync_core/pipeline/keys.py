"""A message key as text, and when a key cannot name an event's lane.

A key is the lane its events run in, one after another (``consumers.ordering``), and what parked
rows, redrives and key locks go by, so two different keys must never become one text; decoding
with ``errors="replace"`` made ``L1\\xff`` and ``L1\\xfe`` one lane. A key is its own text when it is
clean UTF-8 without a NUL (which PostgreSQL's text cannot hold) and at most ``MAX_KEY_BYTES`` long
(a longer one would not fit the key indexes). Any other key is kept as ``hex:`` and its bytes in
hex, only its first ``MAX_KEY_BYTES`` of a longer one with ``…`` after them, and its event parks
(``problem``): whose lane the bytes meant cannot be known, and the key holds no personal value
to quote. A clean key that itself starts with ``hex:`` is kept in hex as well, so a hex form always
means an unusable key, and a redrive of its event parks it again.
"""

from __future__ import annotations

HEX = "hex:"
CUT = "…"  # after the hex of an over-long key's first bytes
MAX_KEY_BYTES = 1024  # a PICS ident is a few characters; B-tree index rows stop near 2,700 bytes


def as_text(raw: bytes | str | None) -> str | None:
    """The key's text: itself when it is usable, else its hex form (see the module docstring)."""
    if raw is None:
        return None
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if len(data) > MAX_KEY_BYTES:
        return HEX + data[:MAX_KEY_BYTES].hex() + CUT
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return HEX + data.hex()
    return HEX + data.hex() if "\x00" in text or text.startswith(HEX) else text


def problem(key: str | None) -> str | None:
    """Why an event keyed ``key`` (an ``as_text`` result) parks, naming the fault and never the bytes; None:
    the key is usable."""
    if key is None or not key.startswith(HEX):
        return None
    if key.endswith(CUT):
        return f"the message key is longer than {MAX_KEY_BYTES} bytes (its start kept in hex)"
    try:
        data = bytes.fromhex(key.removeprefix(HEX))
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "the message key is not valid UTF-8 (kept in hex)"
    except ValueError:  # no hex after the mark: a key parked as it was, before keys were kept in hex
        data = b""
    if b"\x00" in data:
        return "the message key holds a NUL byte (kept in hex)"
    return f"the message key starts with {HEX!r}, the mark of a key kept in hex"


def as_bytes(key: str | None) -> bytes | None:
    """The key's bytes as its message carried them, for a copy of the message (the DLQ topic's): a hex form
    decoded (only the start of an over-long key is known), any other key encoded."""
    if key is None:
        return None
    if key.startswith(HEX):
        try:
            return bytes.fromhex(key.removeprefix(HEX).removesuffix(CUT))
        except ValueError:  # no hex after the mark (see ``problem``)
            pass
    return key.encode()
