"""Replay: a range of one topic applied again through the pipeline, by a consumer that commits nothing.

Each partition's range [start, end) is read with explicit offsets (``consumers.kafka.ranges.replay_consumer``),
so the live group's offsets stay as they were. Within one key, edits whose after-image a later edit
supersedes are dropped (``consumers.ops.replay_coalesce``); what is left is processed in partition
and offset order under the run mode asked for: live, dry run (nothing written) or forced (ledger
and hashes ignored).

Bounded memory. A partition's range is processed in windows of at most ``ReplayOptions.window``
messages (``WINDOW``; the ledger is asked about each window in one round trip), so a replay from
the start of a long topic holds no more than one window, plus the consumer's batch of at most 500,
however long the range is. Coalescing needs to know what comes LATER in the range, so with it on
each partition is read twice: once to find the superseded offsets (keeping per key only its
current run, and one bit per offset), once to process. Either way the outcomes, the dry run's
report and the order within a key are those of processing the whole range at once.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from itertools import islice
from typing import Any, Literal

from consumers.kafka.ranges import Span, offsets_at, partitions_of, read_partition, replay_consumer, watermarks
from consumers.ops.replay_coalesce import NOTHING_DROPPED, Dropped, Record, decoded, dropped_offsets
from consumers.progress import Progress
from sync_core.config import RuntimeConfig, kafka_settings, topic
from sync_core.outcome import Kind, Outcome
from sync_core.pipeline import policy
from sync_core.pipeline.admission import Admission, Prior, admit
from sync_core.pipeline.process import Delivery, PipelinePorts, RunMode, duplicate, process
from sync_core.pipeline.retrying import call

__all__ = ["WINDOW", "Position", "Record", "ReplayOptions", "Summary", "apply_ranges", "parse_position", "replay"]

Position = Literal["earliest", "latest"] | int | datetime  # an offset in every partition, or a time
WINDOW = 10_000  # messages of a partition held at once: one ledger round trip (``Ledger.priors``)


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
class ReplayOptions:
    """What to replay and how."""

    topic: str  # logical: pics.learner, sa.learner…; the configured prefix is applied
    start: Position = "earliest"
    end: Position = "latest"  # exclusive; "latest" is the high watermark when the replay starts
    keys: frozenset[str] | None = None  # only these keys; None: every key
    mode: RunMode = field(default_factory=RunMode)
    coalesce: bool = True
    progress: bool = True
    window: int = WINDOW  # messages held at once (see the module docstring)

    def __post_init__(self) -> None:
        if self.window < 1:
            raise ValueError(f"a replay window holds at least one message, not {self.window}")


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
    """Each partition in turn, window by window: keep the keys asked for, coalesce, process in offset order."""
    passes = 2 if options.coalesce else 1
    total = passes * sum(end - start for start, end in summary.ranges.values())
    progress = Progress(total, f"replay {summary.topic}")
    replaying = _Replay(ports, options, summary, on_record, progress.advance if options.progress else _no_tick)
    for partition, span in summary.ranges.items():
        replaying.partition(partial(read, partition, span), span)
    if options.progress:
        progress.close()


def _no_tick(_n: int = 1) -> None:
    return None


@dataclass(frozen=True)
class _Replay:
    """One replay's partitions, each read in windows of ``options.window`` messages."""

    ports: PipelinePorts
    options: ReplayOptions
    summary: Summary
    on_record: OnRecord
    tick: Callable[[int], None]

    def partition(self, read_range: Callable[[], Iterable[Delivery]], span: Span) -> None:
        """Pass one finds the superseded offsets; pass two processes the rest, one window at a time."""
        dropped = dropped_offsets(self._wanted(read_range()), *span) if self.options.coalesce else NOTHING_DROPPED
        run = _PartitionRun(self.ports, self.options.mode)
        with _reading(read_range()) as deliveries:
            while self._window(list(islice(deliveries, self.options.window)), run, dropped):
                pass  # a window's list is let go of when ``_window`` returns, before the next is read

    def _wanted(self, deliveries: Iterable[Delivery]) -> Iterator[Record]:
        for delivery in deliveries:
            self.tick(1)
            if self._selected(delivery):
                yield decoded(delivery, self.ports.serde)

    def _window(self, deliveries: list[Delivery], run: _PartitionRun, dropped: Dropped) -> bool:
        """Process one window; False when it is empty (the range is done)."""
        selected = [decoded(d, self.ports.serde) for d in deliveries if self._selected(d)]
        self.summary.read += len(deliveries)
        self.summary.filtered += len(deliveries) - len(selected)
        self.tick(len(deliveries) - len(selected))
        run.priors = _priors(selected, self.ports)
        for record in selected:
            coalesced = record.delivery.source.offset in dropped
            self.summary.coalesced += int(coalesced)
            outcome = None if coalesced else run.apply(record)
            self.summary.add(outcome)
            self.on_record(record, outcome)
            self.tick(1)
        return bool(deliveries)

    def _selected(self, delivery: Delivery) -> bool:
        return self.options.keys is None or delivery.source.key in self.options.keys


@contextmanager
def _reading(deliveries: Iterable[Delivery]) -> Iterator[Iterator[Delivery]]:
    """``deliveries`` as an iterator that is closed however the reading ends (the consumer is unassigned)."""
    iterator = iter(deliveries)
    try:
        yield iterator
    finally:
        if isinstance(iterator, Generator):
            iterator.close()


def _priors(records: Sequence[Record], ports: PipelinePorts) -> dict[str, Prior]:
    """What the ledger knows of each record, asked in bulk: admission's batch form."""
    asked = [(r.event.envelope.event_id, r.delivery.source.topic, r.delivery.source.key) for r in records if r.event]
    return ports.ledger.priors(asked)


@dataclass
class _PartitionRun:
    """One partition's records through the pipeline, each with the ledger's bulk answer while it holds."""

    ports: PipelinePorts
    mode: RunMode
    priors: dict[str, Prior] = field(default_factory=dict)  # of the window being processed
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
