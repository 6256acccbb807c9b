"""The event contract and its wire format: Avro values on Kafka, encoded and decoded.

``new_event`` builds a topic value, ``AvroSerde`` turns it into framed bytes and back into a
``DecodedEvent``; a ``SchemaRegistry`` (its adapter is ``consumers.kafka.registry``) switches the
framing from Avro single-object encoding to Confluent's. The schemas themselves live in the
``schemas`` package; ``event_records`` lists the event records they define and the topic each
arrives on.
"""

from sync_core.serde.avro import AvroSerde
from sync_core.serde.events import (
    SCHEMA_VERSION,
    TOPIC_RECORDS,
    BreakPhase,
    DecodedEvent,
    Envelope,
    break_phase,
    event_records,
    new_event,
)
from sync_core.serde.registry import SchemaRegistry

__all__ = [
    "SCHEMA_VERSION",
    "TOPIC_RECORDS",
    "AvroSerde",
    "BreakPhase",
    "DecodedEvent",
    "Envelope",
    "SchemaRegistry",
    "break_phase",
    "event_records",
    "new_event",
]
