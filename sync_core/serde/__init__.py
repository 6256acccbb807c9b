"""The event contract and its wire format: Avro values on Kafka, encoded and decoded.

``new_event`` builds a topic value, ``AvroSerde`` turns it into framed bytes and back into a
``DecodedEvent``; a ``SchemaRegistry`` switches the framing from Avro single-object encoding to
Confluent's. The schemas themselves live in the ``schemas`` package.
"""

from sync_core.serde.avro import AvroSerde
from sync_core.serde.events import (
    SCHEMA_VERSION,
    TOPIC_RECORDS,
    DecodedEvent,
    Envelope,
    new_event,
)
from sync_core.serde.registry import HttpSchemaRegistry, SchemaRegistry

__all__ = [
    "SCHEMA_VERSION",
    "TOPIC_RECORDS",
    "AvroSerde",
    "DecodedEvent",
    "Envelope",
    "HttpSchemaRegistry",
    "SchemaRegistry",
    "new_event",
]
