"""The two wire framings of an Avro value, written and told apart.

Avro single-object encoding: ``C3 01``, the writer schema's 8-byte CRC-64-AVRO fingerprint (little
endian), the body. Confluent framing: ``00``, the 4-byte big-endian schema registry id, the body.
A writer schema id names the schema either way: ``fp:<hex fingerprint>`` or ``registry:<id>``.
"""

from __future__ import annotations

import struct

from sync_core.errors import UndecodableEvent

SINGLE_OBJECT_MAGIC = b"\xc3\x01"
CONFLUENT_MAGIC = b"\x00"
FINGERPRINT_PREFIX = "fp:"
REGISTRY_PREFIX = "registry:"

_FINGERPRINT_SIZE = 8
_SCHEMA_ID = struct.Struct(">I")
_SINGLE_OBJECT_HEADER_SIZE = len(SINGLE_OBJECT_MAGIC) + _FINGERPRINT_SIZE
_CONFLUENT_HEADER_SIZE = len(CONFLUENT_MAGIC) + _SCHEMA_ID.size


def single_object_header(fingerprint_hex: str) -> bytes:
    """The header of a single-object encoded value written with the fingerprinted schema."""
    return SINGLE_OBJECT_MAGIC + bytes.fromhex(fingerprint_hex)


def confluent_header(schema_id: int) -> bytes:
    """The header of a Confluent-framed value written with the registry's schema ``schema_id``."""
    return CONFLUENT_MAGIC + _SCHEMA_ID.pack(schema_id)


def registry_id(writer_schema_id: str) -> int | None:
    """The registry id in a ``registry:<id>`` writer schema id; None for a fingerprint."""
    if not writer_schema_id.startswith(REGISTRY_PREFIX):
        return None
    return int(writer_schema_id.removeprefix(REGISTRY_PREFIX))


def parse_header(data: bytes) -> tuple[str, int]:
    """The writer schema id of a framed value and the offset where its Avro body starts."""
    if not data:
        raise UndecodableEvent("empty message: there are no bytes to decode (a tombstone?)")
    if data[:2] == SINGLE_OBJECT_MAGIC:
        _require(data, _SINGLE_OBJECT_HEADER_SIZE, "Avro single-object")
        fingerprint_hex = data[2:_SINGLE_OBJECT_HEADER_SIZE].hex()
        return FINGERPRINT_PREFIX + fingerprint_hex, _SINGLE_OBJECT_HEADER_SIZE
    if data[:1] == CONFLUENT_MAGIC:
        _require(data, _CONFLUENT_HEADER_SIZE, "Confluent")
        (schema_id,) = _SCHEMA_ID.unpack_from(data, 1)
        return f"{REGISTRY_PREFIX}{schema_id}", _CONFLUENT_HEADER_SIZE
    raise UndecodableEvent(
        f"unknown framing: the message starts 0x{data[:2].hex()}, which is neither Avro"
        " single-object encoding (0xc301) nor Confluent framing (0x00)"
    )


def _require(data: bytes, size: int, framing: str) -> None:
    """Refuses a value too short to hold its framing's header."""
    if len(data) < size:
        raise UndecodableEvent(
            f"truncated {framing} header: the message has {len(data)} bytes, the header needs {size}"
        )
