"""Avro values on the wire: encode with the current schema, decode whatever a producer wrote.

Encoding uses Avro single-object encoding, or Confluent framing when a schema registry is
configured. Decoding accepts both, finds the writer schema (by fingerprint among every schema in
``schemas/`` and ``schemas/history/``, or by id in the registry) and resolves it against the
current schema of its record. Everything per schema is worked out once; per message it is a dict
lookup and fastavro.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastavro import schemaless_reader, schemaless_writer
from fastavro.read import SchemaResolutionError
from fastavro.schema import SchemaParseException

from sync_core.errors import ConfigurationError, UndecodableEvent
from sync_core.serde import framing
from sync_core.serde.catalog import (
    ParsedSchema,
    Schemas,
    current_schemas,
    fingerprint_of,
    history_schemas,
    parse_record,
    plain,
)
from sync_core.serde.events import TOPIC_RECORDS, DecodedEvent, Envelope, event_records
from sync_core.serde.registry import SchemaRegistry

# What fastavro raises reading bytes that are not what the writer schema says.
_CORRUPT_BODY = (EOFError, ValueError, IndexError, OverflowError, KeyError, TypeError)


@dataclass(frozen=True)
class _Writer:
    """A schema some producer wrote with, and how to read it today."""

    record: str
    schema: ParsedSchema
    reader: ParsedSchema | None
    """The current schema of ``record``; None when it is the writer schema itself."""
    sole_event: str | None
    """The fullname of the only record in the writer's ``event`` union, if it has just one.

    Read with ``return_record_name_override``, a union with one record (``["null", Officer]``, or
    such an ``event`` union) yields the bare record; ``event`` then needs its name from here.
    """


class AvroSerde:
    """Encodes topic values with the current schemas and decodes any known version of them."""

    def __init__(self, *, registry: SchemaRegistry | None = None) -> None:
        self._registry = registry
        self._current = current_schemas()
        self._fingerprints = {name: fingerprint_of(schema) for name, schema in self._current.items()}
        self._writers = _known_writers(self._current, history_schemas())
        self._headers: dict[str, bytes] = {}  # topic → header, once known

    def encode(self, topic: str, value: Mapping[str, Any]) -> bytes:
        """The framed Avro bytes of ``value`` (see ``new_event``) for a message on ``topic``."""
        record = TOPIC_RECORDS.get(topic)
        if record is None:
            raise ConfigurationError(f"topic {topic!r} has no Avro record in TOPIC_RECORDS")
        _require_topic(value.get("event"), topic)
        out = io.BytesIO()
        out.write(self._headers.get(topic) or self._header(topic, record))
        # strict_allow_default: a misspelt or missing field fails here, not in the consumer.
        schemaless_writer(out, self._current[record], value, strict_allow_default=True)
        return out.getvalue()

    def decode(self, data: bytes | None) -> DecodedEvent:
        """The event in a framed value; ``UndecodableEvent`` says why when it cannot be read."""
        data = data or b""  # a tombstone's None is refused as empty, like b""
        writer_schema_id, offset = framing.parse_header(data)
        writer = self._writers.get(writer_schema_id) or self._find_writer(writer_schema_id)
        return _event(_read(data, offset, writer, writer_schema_id), writer, writer_schema_id)

    def _header(self, topic: str, record: str) -> bytes:
        """Works out the header of ``topic``'s values: registers the schema when framed so."""
        fingerprint = self._fingerprints[record]
        if self._registry is None:
            header = framing.single_object_header(fingerprint)
        else:
            schema_id = self._registry.register(f"{topic}-value", plain(self._current[record]))
            # We just told the registry this schema: reading our own values needs no lookup.
            self._writers[f"{framing.REGISTRY_PREFIX}{schema_id}"] = self._writers[
                framing.FINGERPRINT_PREFIX + fingerprint
            ]
            header = framing.confluent_header(schema_id)
        self._headers[topic] = header
        return header

    def _find_writer(self, writer_schema_id: str) -> _Writer:
        """The writer schema of an id not seen before: only the registry may still know it."""
        schema_id = framing.registry_id(writer_schema_id)
        if schema_id is None:
            raise UndecodableEvent(
                f"unknown writer schema {writer_schema_id}: the fingerprint matches no schema in"
                " schemas/ or schemas/history/ (written by a newer producer?)"
            )
        if self._registry is None:
            raise UndecodableEvent(
                f"the message is Confluent-framed (schema id {schema_id}) but no schema registry is configured"
            )
        writer = self._writer_from_registry(schema_id, self._registry)
        self._writers[writer_schema_id] = writer
        return writer

    def _writer_from_registry(self, schema_id: int, registry: SchemaRegistry) -> _Writer:
        """Fetches and parses registry schema ``schema_id`` and pairs it with its reader."""
        try:
            schema = parse_record(registry.schema_by_id(schema_id))
        except KeyError:
            raise UndecodableEvent(f"schema id {schema_id} is not in the schema registry") from None
        except (SchemaParseException, ValueError) as exc:
            raise UndecodableEvent(f"schema id {schema_id} in the registry is not a valid Avro schema: {exc}") from exc
        known = self._writers.get(framing.FINGERPRINT_PREFIX + fingerprint_of(schema))
        if known is not None:
            return known  # the same schema as one of ours: use ours, parsed with logical types
        record = schema.get("name")
        if record not in TOPIC_RECORDS.values() or record not in self._current:
            raise UndecodableEvent(f"schema id {schema_id} is {record}, not a record we consume")
        return _Writer(record, schema, self._current[record], _sole_event(schema))


def _require_topic(event: Any, topic: str) -> None:
    """Refuses an event record named in ``new_event``'s tuple notation that ``topic`` does not carry."""
    if isinstance(event, tuple) and event and isinstance(event[0], str):
        carried_by = event_records().get(event[0].rpartition(".")[2])
        if carried_by != topic:
            raise ValueError(f"{event[0]} is not an event of topic {topic!r} (it goes on {carried_by!r})")


def _sole_event(schema: ParsedSchema) -> str | None:
    """The fullname of the record in the ``event`` union of ``schema`` when it holds only one."""
    event = next((field for field in schema.get("fields", ()) if field.get("name") == "event"), None)
    if event is None:
        return None
    branches = event["type"] if isinstance(event["type"], list) else [event["type"]]
    # Parsed: a record appears inline (a dict) where first used, by its fullname (a str) after.
    names = [
        branch["name"] if isinstance(branch, dict) else branch
        for branch in branches
        if (isinstance(branch, dict) and branch.get("type") == "record") or (isinstance(branch, str) and "." in branch)
    ]
    return names[0] if len(names) == 1 else None


def _known_writers(current: Schemas, history: Mapping[int, Schemas]) -> dict[str, _Writer]:
    """Every topic record of every version by ``fp:<fingerprint>``; the current version first."""
    writers: dict[str, _Writer] = {}
    for schemas in (current, *(history[version] for version in sorted(history, reverse=True))):
        for record in TOPIC_RECORDS.values():
            if record not in schemas or record not in current:
                continue  # a record that is gone has no reader schema left
            fingerprint = fingerprint_of(schemas[record])
            reader = None if fingerprint == fingerprint_of(current[record]) else current[record]
            writer = _Writer(record, schemas[record], reader, _sole_event(schemas[record]))
            writers.setdefault(framing.FINGERPRINT_PREFIX + fingerprint, writer)
    return writers


def _read(data: bytes, offset: int, writer: _Writer, writer_schema_id: str) -> Any:
    """Reads the Avro body at ``offset``, which must take up the rest of ``data``."""
    body = io.BytesIO(data)
    body.seek(offset)
    try:
        # Names only where a union has several records: the event branch, not ["null", Officer].
        value = schemaless_reader(
            body,
            writer.schema,
            writer.reader,
            return_record_name=True,
            return_record_name_override=True,
        )
    except SchemaResolutionError as exc:
        raise UndecodableEvent(
            f"writer schema {writer_schema_id} cannot be resolved against the current {writer.record}: {exc}"
        ) from exc
    except _CORRUPT_BODY as exc:
        # Not chained: fastavro's messages can quote the field values, which may be personal.
        raise UndecodableEvent(
            f"corrupt or truncated {writer.record} body (writer schema {writer_schema_id}): {type(exc).__name__}"
        ) from None
    if body.tell() != len(data):
        raise UndecodableEvent(
            f"corrupt {writer.record} body (writer schema {writer_schema_id}):"
            f" {len(data) - body.tell()} bytes left over after the record"
        )
    return value


def _event(record: Mapping[str, Any], writer: _Writer, writer_schema_id: str) -> DecodedEvent:
    """The decoded envelope record as a ``DecodedEvent``."""
    event = record["event"]
    if isinstance(event, tuple):
        branch, payload = event
    elif writer.sole_event is not None:
        branch, payload = writer.sole_event, event
    else:  # a union of one non-record type: not our contract
        raise UndecodableEvent(f"the event of {writer.record} (writer schema {writer_schema_id}) is no record")
    envelope = Envelope(
        event_id=str(record["event_id"]),
        occurred_at=record["occurred_at"],
        source=record["source"],
        schema_version=record["schema_version"],
        changed_fields=tuple(record["changed_fields"]),
    )
    return DecodedEvent(envelope, branch.rpartition(".")[2], payload, writer_schema_id)
