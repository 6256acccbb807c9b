"""Replay's coalescing: the edits of a range that a later edit of the same key makes redundant.

LearnerEdited (L1–L5), OrganisationEdited (G1) and OfficerEdited (O1) each carry the whole
after-image, and their effect on SA is a function of the latest image and the settings, so an edit
can be dropped when a LATER edit of the same key and type, in the same run, pushes to the same SA
record and passes the gate on its own: the same ``smart_assessor_id`` / ``additional_id`` (so X2
and the target are alike) and, for a learner, Y2 (v2: Live). A run is the stretch of a key's events
between two events of another type (enrolment, employer change, break, aim closed, an undecodable
message…), whose effects depend on order: nothing is coalesced across them.

Streaming. A range may be longer than memory holds, so ``Coalescing`` sees one record at a time, in
offset order, and keeps per key only its current run: the run's identity and the positions of its
edits that no later edit has superseded yet. An edit that passes the gate supersedes every one of
them. Positions, never messages, are kept; a range's superseded offsets are one bit each
(``Dropped``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sync_core.errors import UndecodableEvent
from sync_core.pipeline.process import Delivery
from sync_core.rules.eligibility import is_live
from sync_core.serde import AvroSerde, DecodedEvent


@dataclass(frozen=True)
class Record:
    """One message of the range, decoded once for coalescing (None: the bytes are no event)."""

    delivery: Delivery
    event: DecodedEvent | None


def decoded(delivery: Delivery, serde: AvroSerde) -> Record:
    """The message as a ``Record``; undecodable bytes are a record with no event (the pipeline parks it)."""
    try:
        return Record(delivery, serde.decode(delivery.value))
    except UndecodableEvent:
        return Record(delivery, None)


@dataclass(frozen=True)
class Supersedes:
    """How an edit's after-image is found, and when a later one may stand in for it."""

    image: str  # the payload field holding the after-image
    target: str  # the image field naming the SA record: edits of different targets never coalesce
    pushable: Callable[[Mapping[str, Any]], bool] = lambda _image: True  # passes the gate alone


COALESCIBLE: Mapping[str, Supersedes] = {
    "LearnerEdited": Supersedes("learner", "smart_assessor_id", is_live),  # Y2 v2; "in SA": the same SA id
    "OrganisationEdited": Supersedes("organisation", "additional_id"),
    "OfficerEdited": Supersedes("officer", "additional_id"),
}


def _identity(event: DecodedEvent | None) -> tuple[tuple[str, Any] | None, bool]:
    """(event name and SA target, whether it may supersede) of a coalescible edit; (None, False) otherwise."""
    spec = COALESCIBLE.get(event.name) if event is not None else None
    if event is None or spec is None:
        return None, False
    image = event.payload[spec.image]
    return (event.name, image.get(spec.target)), spec.pushable(image)


@dataclass
class _Run:
    identity: tuple[str, Any]
    waiting: list[int] = field(default_factory=list)  # positions no later edit has superseded yet


class Coalescing:
    """Records seen in order; each position that a later record supersedes is handed to ``drop``, once."""

    def __init__(self, drop: Callable[[int], None]) -> None:
        self._drop = drop
        self._runs: dict[tuple[str, str], _Run] = {}

    def see(self, position: int, record: Record) -> None:
        """The next record of the range, at ``position``."""
        source = record.delivery.source
        if source.key is None:
            return  # no key, no order to keep it in: never coalesced
        key = (source.topic, source.key)
        identity, pushable = _identity(record.event)
        run = self._runs.get(key)
        if identity is None:
            self._runs.pop(key, None)  # another kind of event ends the key's run
        elif run is None or run.identity != identity:
            self._runs[key] = _Run(identity, [position])
        elif pushable:
            for earlier in run.waiting:
                self._drop(earlier)
            run.waiting = [position]
        else:
            run.waiting.append(position)  # a later pushable edit of the run may still supersede it


def superseded(records: Sequence[Record]) -> frozenset[int]:
    """Indexes of the records that a later edit of the same key makes redundant (see the module docstring)."""
    dropped: set[int] = set()
    coalescing = Coalescing(dropped.add)
    for index, record in enumerate(records):
        coalescing.see(index, record)
    return frozenset(dropped)


class Dropped:
    """A set of offsets of the range [start, end), one bit each."""

    def __init__(self, start: int, end: int) -> None:
        self._start = start
        self._bits = bytearray((max(0, end - start) + 7) // 8)

    def add(self, offset: int) -> None:
        """Put ``offset`` in the set."""
        index = offset - self._start
        self._bits[index >> 3] |= 1 << (index & 7)

    def __contains__(self, offset: object) -> bool:
        if not isinstance(offset, int) or not 0 <= offset - self._start < len(self._bits) * 8:
            return False
        index = offset - self._start
        return bool(self._bits[index >> 3] & (1 << (index & 7)))


NOTHING_DROPPED = Dropped(0, 0)


def dropped_offsets(records: Iterable[Record], start: int, end: int) -> Dropped:
    """The offsets in [start, end) of the records a later one supersedes, in one pass over ``records``."""
    dropped = Dropped(start, end)
    coalescing = Coalescing(dropped.add)
    for record in records:
        coalescing.see(record.delivery.source.offset, record)
    return dropped
