"""The event contract as Python sees it: which record each topic carries, and its envelope.

Every topic value is an envelope record (``event_id``, ``occurred_at``, ``source``,
``schema_version``, ``changed_fields``) whose ``event`` field is a union of the event records of
that topic; see ``schemas/`` and DESIGN.md "Event contract".
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

NAMESPACE = "pics.events"

SCHEMA_VERSION = 1
"""The contract version this code writes; ``schemas/history/v1`` holds its schemas."""

TOPIC_RECORDS: Mapping[str, str] = MappingProxyType(
    {"pics.learner": "pics.events.LearnerEvent"},
)
"""Topic → fullname of the Avro record of its values."""


@dataclass(frozen=True)
class Envelope:
    """What every event carries besides its payload."""

    event_id: str
    occurred_at: datetime
    source: str
    schema_version: int
    changed_fields: tuple[str, ...]


@dataclass(frozen=True)
class DecodedEvent:
    """One topic value, read and resolved against the current schemas."""

    envelope: Envelope
    name: str
    """Short name of the event record, the union branch: ``LearnerEdited``."""
    payload: Mapping[str, Any]
    """The event record's fields, e.g. ``{"learner": {...}}``."""
    writer_schema_id: str
    """The schema the producer wrote with: ``fp:<hex fingerprint>`` or ``registry:<id>``."""


def record_fullname(name: str) -> str:
    """The fullname of an event record given by its short name (``LearnerEdited``) or fullname."""
    return name if "." in name else f"{NAMESPACE}.{name}"


def new_event(
    name: str,
    payload: Mapping[str, Any],
    *,
    changed_fields: Sequence[str] = (),
    source: str = "pics",
    occurred_at: datetime | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    """A topic value carrying event ``name`` with ``payload``, ready for ``AvroSerde.encode``.

    The id is a new UUID4 and the time now, unless given.
    """
    when = datetime.now(UTC) if occurred_at is None else occurred_at
    # fastavro would read a naive time as UTC; PICS runs on UK local time, so refuse to guess.
    if when.tzinfo is None:
        raise ValueError("occurred_at must be timezone-aware")
    return {
        "event_id": str(uuid.uuid4()) if event_id is None else event_id,
        "occurred_at": when,
        "source": source,
        "schema_version": SCHEMA_VERSION,
        "changed_fields": list(changed_fields),
        # fastavro's tuple notation names the union branch, so records alike in shape stay apart.
        "event": (record_fullname(name), dict(payload)),
    }
