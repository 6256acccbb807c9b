"""Message keys as text: clean keys as they are, any other kept in hex (one text per key) with a reason to park."""

from __future__ import annotations

import pytest

from sync_core.pipeline.keys import MAX_KEY_BYTES, as_bytes, as_text, problem


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        pytest.param(b"L0001", "L0001", id="ascii"),
        pytest.param("Łódź-7".encode(), "Łódź-7", id="clean-utf8"),
        pytest.param(b"", "", id="empty"),
        pytest.param(None, None, id="no-key"),
        pytest.param(b"L1\xff", "hex:4c31ff", id="invalid-utf8"),
        pytest.param(b"L1\x00", "hex:4c3100", id="nul-byte"),
        pytest.param(b"hex:41", "hex:6865783a3431", id="clean-key-with-the-hex-mark"),
        pytest.param(b"x" * (MAX_KEY_BYTES + 1), "hex:" + "78" * MAX_KEY_BYTES + "…", id="over-long"),
    ],
)
def test_a_key_is_itself_when_clean_and_hex_otherwise(raw: bytes | None, text: str | None) -> None:
    """Clean UTF-8 keys stay as they are; any other key becomes hex: and its bytes."""
    assert as_text(raw) == text


def test_distinct_unclean_keys_keep_distinct_lanes() -> None:
    """errors='replace' made these one text (and one ordering lane) with a clean key; kept in hex they are three."""
    keys = [b"L1\xff", b"L1\xfe", "L1\ufffd".encode()]
    assert len({as_text(raw) for raw in keys}) == 3


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        pytest.param(b"L1\xff", "the message key is not valid UTF-8 (kept in hex)", id="invalid-utf8"),
        pytest.param(b"L1\x00", "the message key holds a NUL byte (kept in hex)", id="nul-byte"),
        pytest.param(b"hex:41", "the message key starts with 'hex:', the mark of a key kept in hex", id="hex-mark"),
        pytest.param(b"x" * 5000, f"the message key is longer than {MAX_KEY_BYTES} bytes (its start kept in hex)",
                     id="over-long"),
    ],
)  # fmt: skip
def test_an_unusable_key_gives_a_reason_that_names_the_fault_not_the_bytes(raw: bytes, reason: str) -> None:
    """The reason to park says what is wrong with the key and quotes none of it."""
    assert problem(as_text(raw)) == reason


@pytest.mark.parametrize("key", ["L0001", "", None, "Łódź-7"])
def test_a_usable_key_has_no_problem(key: str | None) -> None:
    """A clean key flows."""
    assert problem(key) is None


def test_a_key_parked_before_hex_forms_still_parks() -> None:
    """A key stored as it came that happens to start with hex: (no hex after it) is refused again, not a crash."""
    assert problem("hex:zz") == "the message key starts with 'hex:', the mark of a key kept in hex"


@pytest.mark.parametrize("raw", [b"L0001", b"L1\xff", b"L1\x00", b"hex:41", None])
def test_the_bytes_of_a_key_come_back_from_its_text(raw: bytes | None) -> None:
    """A copy of the message (the DLQ topic's) carries the key it came with, hex form or not."""
    assert as_bytes(as_text(raw)) == raw


def test_an_over_long_key_comes_back_as_its_start() -> None:
    """Only the first MAX_KEY_BYTES of an over-long key were kept."""
    assert as_bytes(as_text(b"x" * 5000)) == b"x" * MAX_KEY_BYTES
