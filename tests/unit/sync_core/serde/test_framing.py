"""The wire framing: single-object with the CRC-64-AVRO fingerprint, or Confluent with the registry id."""

from __future__ import annotations

import fastavro
import pytest
from fastavro.schema import load_schema

from sync_core.serde import AvroSerde, SchemaRegistry
from sync_core.serde.catalog import current_schemas, plain
from tests.unit.sync_core.serde.registries import REGISTRIES
from tests.unit.sync_core.serde.samples import RECORD, SCHEMA_DIR, TOPIC, learner_edited


def crc64_avro(data: bytes) -> int:
    """The CRC-64-AVRO fingerprint as the Avro specification writes it out."""
    empty = 0xC15D213AA4D7A795
    table = []
    for byte in range(256):
        value = byte
        for _ in range(8):
            value = (value >> 1) ^ (empty & -(value & 1))
        table.append(value)
    fingerprint = empty
    for byte in data:
        fingerprint = (fingerprint >> 8) ^ table[(fingerprint ^ byte) & 0xFF]
    return fingerprint


@pytest.mark.parametrize("registry", REGISTRIES[:1], indirect=True)
def test_single_object_framing(registry: None) -> None:
    """Without a registry a value starts C3 01 and the schema's CRC-64-AVRO, little endian."""
    canonical = fastavro.schema.to_parsing_canonical_form(load_schema(str(SCHEMA_DIR / f"{RECORD}.avsc")))

    data = AvroSerde(registry=registry).encode(TOPIC, learner_edited())

    assert data[:2] == b"\xc3\x01"
    assert data[2:10] == crc64_avro(canonical.encode()).to_bytes(8, "little")


@pytest.mark.parametrize("registry", REGISTRIES[1:], indirect=True)
def test_confluent_framing(registry: SchemaRegistry) -> None:
    """With a registry a value starts 00 and the big-endian id the registry gave the schema."""
    schema_id = registry.register("pics.learner-value", plain(current_schemas()[RECORD]))

    data = AvroSerde(registry=registry).encode(TOPIC, learner_edited())

    assert data[:5] == b"\x00" + schema_id.to_bytes(4, "big")
