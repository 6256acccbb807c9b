"""The event contract as Python sees it: which record each topic carries, and its envelope.

Every topic value is an envelope record (``event_id``, ``occurred_at``, ``source``,
``schema_version``, ``changed_fields``) whose ``event`` field is a union of the event records of
that topic; see ``schemas/`` and DESIGN.md "Event contract". PICS's events (namespace
``pics.events``) go on the ``pics.*`` topics, what the daily pull reads from SA (``sa.events``) on
the ``sa.*`` topics. ``event_records`` reads those unions: which event records there are and the
topic each arrives on. Short names are unique across both namespaces.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from types import MappingProxyType
from typing import Any

from sync_core.errors import UndecodableEvent
from sync_core.serde.catalog import field_default, union_branches

NAMESPACE = "pics.events"
"""The namespace of PICS's events and of the records they carry."""

SA_NAMESPACE = "sa.events"
"""The namespace of the events the daily pull makes of what it read from SA (DOMAIN.md section 5)."""

SCHEMA_VERSION = 5
"""The contract version this code writes; ``schemas/history/v5`` holds its schemas."""

TOPIC_RECORDS: Mapping[str, str] = MappingProxyType(
    {
        "pics.learner": "pics.events.LearnerEvent",
        "pics.organisation": "pics.events.OrganisationEvent",
        "pics.officer": "pics.events.OfficerEvent",
        "sa.learner": "sa.events.SaLearnerEvent",
        "sa.officer": "sa.events.SaOfficerEvent",
        "sa.organisation": "sa.events.SaOrganisationEvent",
    },
)
"""Topic → fullname of the Avro record of its values."""


class BreakPhase(StrEnum):
    """The ``phase`` of a ``BreakInLearning`` event (DOMAIN.md B1, B2)."""

    START = "start"
    RETURN = "return"


def break_phase(value: str) -> BreakPhase:
    """The phase a ``BreakInLearning`` payload's ``phase`` string names.

    The schema keeps ``phase`` a string so a new phase does not break readers; a value this code
    does not know is an event it cannot read, so ``UndecodableEvent`` (the event is parked).
    """
    try:
        return BreakPhase(value)
    except ValueError:
        known = ", ".join(phase.value for phase in BreakPhase)
        raise UndecodableEvent(f"BreakInLearning phase {value!r} is not one of {known}") from None


@cache
def _event_fullnames() -> Mapping[str, tuple[str, str]]:
    """Short name of every event record → (its fullname, the topic it arrives on)."""
    records: dict[str, tuple[str, str]] = {}
    for topic, record in TOPIC_RECORDS.items():
        for fullname in union_branches(record):
            short = fullname.rpartition(".")[2]
            if short in records:
                raise ValueError(f"event record {short} is in the unions of two topics")
            records[short] = (fullname, topic)
    return MappingProxyType(records)


@cache
def _sources() -> Mapping[str, str]:
    """Topic → the default of its envelope's ``source`` (``pics``, ``smart-assessor``)."""
    return MappingProxyType({topic: field_default(record, "source") for topic, record in TOPIC_RECORDS.items()})


@cache
def event_records() -> Mapping[str, str]:
    """Short name of every event record (``LearnerEdited``) → the logical topic it arrives on.

    Read from the ``event`` unions of the current topic records in ``schemas/``.
    """
    return MappingProxyType({short: topic for short, (_, topic) in _event_fullnames().items()})


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
    """The fullname of an event record given by its short name (``LearnerEdited``) or fullname.

    Raises ``ValueError`` for a name that is in no topic's union.
    """
    known = _event_fullnames().get(name.rpartition(".")[2])
    if known is None or name not in (known[0], known[0].rpartition(".")[2]):
        raise ValueError(f"{name!r} is not an event record; known: {', '.join(sorted(_event_fullnames()))}")
    return known[0]


def new_event(
    name: str,
    payload: Mapping[str, Any],
    *,
    changed_fields: Sequence[str] = (),
    source: str | None = None,
    occurred_at: datetime | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    """A topic value carrying event ``name`` with ``payload``, ready for ``AvroSerde.encode``.

    ``name`` is an event record's short name or fullname; the id is a new UUID4, the time now and
    the source its topic's default (``pics`` on ``pics.*``, ``smart-assessor`` on ``sa.*``),
    unless given. The payload's shape is checked by the encoder; a ``BreakInLearning`` phase here.
    """
    fullname = record_fullname(name)
    topic = _event_fullnames()[fullname.rpartition(".")[2]][1]
    if fullname == f"{NAMESPACE}.BreakInLearning" and "phase" in payload:
        try:
            break_phase(payload["phase"])
        except UndecodableEvent as exc:
            raise ValueError(str(exc)) from None
    when = datetime.now(UTC) if occurred_at is None else occurred_at
    # fastavro would read a naive time as UTC; PICS runs on UK local time, so refuse to guess.
    if when.tzinfo is None:
        raise ValueError("occurred_at must be timezone-aware")
    return {
        "event_id": str(uuid.uuid4()) if event_id is None else event_id,
        "occurred_at": when,
        "source": _sources()[topic] if source is None else source,
        "schema_version": SCHEMA_VERSION,
        "changed_fields": list(changed_fields),
        # fastavro's tuple notation names the union branch, so records alike in shape stay apart.
        "event": (fullname, dict(payload)),
    }
