"""Replay: a range of one topic applied again through the pipeline, by a consumer that commits nothing.

Each partition's range [start, end) is read with explicit offsets (``consumers.kafka.ranges.replay_consumer``),
so the live group's offsets stay as they were. Within one key, edits whose after-image a later edit
supersedes are dropped (``superseded``); what is left is processed in partition and offset order
under the run mode asked for: live, dry run (nothing written) or forced (ledger and hashes ignored).

Coalescing. LearnerEdited (L1–L5), OrganisationEdited (G1) and OfficerEdited (O1) each carry the
whole after-image, and their effect on SA is a function of the latest image and the settings, so an
edit can be dropped when a LATER edit of the same key and type, in the same run, pushes to the same
SA record and passes the gate on its own: the same ``smart_assessor_id`` / ``additional_id``
(so X2 and the target are alike) and, for a learner, Y2 (v2: Live). A run is the stretch of
a key's events between two events of another type (enrolment, employer change, break, aim closed,
an undecodable message…), whose effects depend on order: nothing is coalesced across them.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from typing import Any, Literal

from consumers.kafka.ranges import Span, offsets_at, partitions_of, read_partition, replay_consumer, watermarks
from consumers.progress import Progress
from sync_core.config import RuntimeConfig, kafka_settings, topic
from sync_core.errors import UndecodableEvent
from sync_core.outcome import Kind, Outcome
from sync_core.pipeline import policy
from sync_core.pipeline.admission import Admission, Prior, admit
from sync_core.pipeline.process import Delivery, PipelinePorts, RunMode, duplicate, process
from sync_core.pipeline.retrying import call
from sync_core.rules.eligibility import is_live
from sync_core.serde import AvroSerde, DecodedEvent

Position = Literal["earliest", "latest"] | int | datetime  # an offset in every partition, or a time


def parse_position(text: str) -> Position:
    """``earliest``, ``latest``, ``offset:N`` or an ISO time with its zone (``2026-11-23T09:00:00Z``)."""
    if text in ("earliest", "latest"):
        return "earliest" if text == "earliest" else "latest"
    if text.startswith("offset:"):
        offset = int(text.removeprefix("offset:"))
        if offset < 0:
            raise ValueError(f"an offset is 0 or more, not {offset}")
        return offset
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone; add Z or +01:00")
    return when


@dataclass(frozen=True)
class Record:
    """One message of the range, decoded once for coalescing (None: the bytes are no event)."""

    delivery: Delivery
    event: DecodedEvent | None


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


def superseded(records: Sequence[Record]) -> frozenset[int]:
    """Indexes of the records that a later edit of the same key makes redundant (see the module docstring)."""
    later: dict[tuple[str, str], tuple[str, Any]] = {}  # key → the nearest later edit that may supersede
    dropped: set[int] = set()
    for index in reversed(range(len(records))):
        source = records[index].delivery.source
        if source.key is None:
            continue
        key = (source.topic, source.key)
        identity, pushable = _identity(records[index].event)
        if identity is not None and later.get(key) == identity:
            dropped.add(index)
        elif identity is not None and pushable:
            later[key] = identity
        else:
            later.pop(key, None)
    return frozenset(dropped)


@dataclass(frozen=True)
class ReplayOptions:
    """What to replay and how."""

    topic: str  # logical: pics.learner, sa.learner…; the configured prefix is applied
    start: Position = "earliest"
    end: Position = "latest"  # exclusive; "latest" is the high watermark when the replay starts
    keys: frozenset[str] | None = None  # only these keys; None: every key
    mode: RunMode = field(default_factory=RunMode)
    coalesce: bool = True
    progress: bool = True


@dataclass
class Summary:
    """What a replay read and did."""

    topic: str
    group: str
    mode: RunMode
    ranges: Mapping[int, Span] = field(default_factory=dict)
    read: int = 0
    filtered: int = 0  # not among --keys
    coalesced: int = 0
    kinds: Counter[Kind] = field(default_factory=Counter)
    writes: Counter[str] = field(default_factory=Counter)
    sa_calls: int = 0
    seconds: float = 0.0

    def add(self, outcome: Outcome | None) -> None:
        """Count one processed record (None: coalesced away, counted already)."""
        if outcome is None:
            return
        self.kinds[outcome.kind] += 1
        self.writes.update(outcome.writes)
        self.sa_calls += outcome.sa_calls

    def as_dict(self) -> dict[str, Any]:
        """Plain values, for JSON."""
        return {
            "topic": self.topic, "group": self.group, "dry_run": self.mode.dry_run, "force": self.mode.force,
            "ranges": {str(p): list(span) for p, span in self.ranges.items()},
            "events_read": self.read, "filtered_out": self.filtered, "coalesced": self.coalesced,
            "applied": self.kinds[Kind.APPLIED], "duplicates": self.kinds[Kind.DUPLICATE],
            "skipped": self.kinds[Kind.SKIPPED], "parked": self.kinds[Kind.PARKED],
            "sa_writes": dict(sorted(self.writes.items())), "sa_calls": self.sa_calls,
            "seconds": round(self.seconds, 3),
        }  # fmt: skip


OnRecord = Callable[[Record, Outcome | None], None]  # None: coalesced away
Read = Callable[[int, Span], Iterable[Delivery]]
AtTime = Callable[[datetime], Mapping[int, int | None]]


def _quiet(_record: Record, _outcome: Outcome | None) -> None:
    return None


def replay(
    config: RuntimeConfig, ports: PipelinePorts, options: ReplayOptions, on_record: OnRecord = _quiet
) -> Summary:
    """Read the range of ``options.topic`` with a group of its own, coalesce, and process what is left."""
    started = time.monotonic()
    physical = topic(config, options.topic)
    summary = Summary(physical, f"{config.kafka_group_id}-replay-{uuid.uuid4().hex[:12]}", options.mode)
    with replay_consumer(kafka_settings(config), summary.group) as consumer:
        partitions = partitions_of(consumer, physical)
        at = partial(offsets_at, consumer, physical, partitions)
        summary.ranges = offset_ranges(watermarks(consumer, physical, partitions), options.start, options.end, at)
        apply_ranges(partial(read_partition, consumer, physical), ports, options, summary, on_record)
    summary.seconds = time.monotonic() - started
    return summary


def offset_ranges(marks: Mapping[int, Span], start: Position, end: Position, at: AtTime) -> dict[int, Span]:
    """Partition → [start, end) offsets within its (low, high) watermarks; ``at`` looks a time up."""
    first, last = _resolve(start, marks, at), _resolve(end, marks, at)
    return {p: (first[p], max(first[p], last[p])) for p in sorted(marks)}


def _resolve(position: Position, marks: Mapping[int, Span], at: AtTime) -> dict[int, int]:
    found = at(position) if isinstance(position, datetime) else {}
    return {p: _offset(position, low, high, found.get(p)) for p, (low, high) in marks.items()}


def _offset(position: Position, low: int, high: int, at_time: int | None) -> int:
    if position == "earliest":
        return low
    if position == "latest":
        return high
    if isinstance(position, datetime):
        return high if at_time is None else min(max(at_time, low), high)
    return min(max(position, low), high)


def apply_ranges(
    read: Read, ports: PipelinePorts, options: ReplayOptions, summary: Summary, on_record: OnRecord
) -> None:
    """Each partition in turn: read its range, keep the keys asked for, coalesce, process in offset order."""
    progress = Progress(sum(end - start for start, end in summary.ranges.values()), f"replay {summary.topic}")
    tick = progress.advance if options.progress else lambda _n=1: None
    for partition, span in summary.ranges.items():
        records = [_decoded(delivery, ports.serde) for delivery in read(partition, span)]
        selected = [r for r in records if options.keys is None or r.delivery.source.key in options.keys]
        summary.read, summary.filtered = summary.read + len(records), summary.filtered + len(records) - len(selected)
        tick(len(records) - len(selected))
        dropped = superseded(selected) if options.coalesce else frozenset()
        summary.coalesced += len(dropped)
        partition_run = _PartitionRun(ports, options.mode, _priors(selected, ports))
        for index, record in enumerate(selected):
            outcome = None if index in dropped else partition_run.apply(record)
            summary.add(outcome)
            on_record(record, outcome)
            tick(1)
    if options.progress:
        progress.close()


def _priors(records: Sequence[Record], ports: PipelinePorts) -> dict[str, Prior]:
    """What the ledger knows of each record, asked in bulk: admission's batch form."""
    asked = [(r.event.envelope.event_id, r.delivery.source.topic, r.delivery.source.key) for r in records if r.event]
    return ports.ledger.priors(asked)


@dataclass
class _PartitionRun:
    """One partition's records through the pipeline, each with the ledger's bulk answer while it holds."""

    ports: PipelinePorts
    mode: RunMode
    priors: dict[str, Prior]
    parked_keys: set[str] = field(default_factory=set)  # parked during this run: their answers are stale

    def apply(self, record: Record) -> Outcome:
        prior = self._prior(record)
        # S1 does not matter to a duplicate: admission answers that before it looks at the setting.
        if record.event and prior and admit(prior, integration_enabled=True, mode=self.mode) is Admission.DUPLICATE:
            return duplicate(record.event)  # what process() would say, without decoding it again
        delivery = record.delivery if prior is None else replace(record.delivery, prior=prior)
        outcome = call(lambda: process(delivery, self.ports, self.mode), policy.REPLAY)
        if outcome.kind is Kind.PARKED and delivery.source.key is not None:
            self.parked_keys.add(delivery.source.key)
        return outcome

    def _prior(self, record: Record) -> Prior | None:
        if record.event is None or record.delivery.source.key in self.parked_keys:
            return None
        return self.priors.get(record.event.envelope.event_id)


def _decoded(delivery: Delivery, serde: AvroSerde) -> Record:
    try:
        return Record(delivery, serde.decode(delivery.value))
    except UndecodableEvent:
        return Record(delivery, None)
