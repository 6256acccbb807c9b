"""Replay in bounded windows: never more than one window of messages held, and the outcomes of the whole range.

An instrumented fake consumer hands out the range's messages and counts how many of them are still
alive (weak references); the pipeline is a fake that notes what it was given, in order.
"""

from __future__ import annotations

import random
import weakref
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

import pytest

from consumers.ops import replay as replay_module
from consumers.ops.replay import Record, ReplayOptions, Summary, apply_ranges
from consumers.ops.replay_coalesce import COALESCIBLE, Dropped, superseded
from sync_core.errors import UndecodableEvent
from sync_core.outcome import Kind, Outcome, Source
from sync_core.pipeline.admission import RunMode
from sync_core.pipeline.process import Delivery, PipelinePorts
from sync_core.serde import DecodedEvent, Envelope
from tests.unit.sync_core.rules.builders import learner, organisation

TOPIC = "t.pics.learner"


def edit(key: str, n: int, **changes: Any) -> DecodedEvent:
    envelope = Envelope(f"id-{key}-{n}", datetime(2026, 11, 23, 9, tzinfo=UTC), "pics", 3, ())
    return DecodedEvent(envelope, "LearnerEdited", {"learner": learner(learner_ident=key, **changes)}, "fp:test")


def other(key: str, n: int) -> DecodedEvent:
    envelope = Envelope(f"id-{key}-{n}", datetime(2026, 11, 23, 9, tzinfo=UTC), "pics", 3, ())
    return DecodedEvent(envelope, "EmployerChanged", {"learner": learner(learner_ident=key)}, "fp:test")


def org_edit(key: str, n: int, **changes: Any) -> DecodedEvent:
    envelope = Envelope(f"id-{key}-{n}", datetime(2026, 11, 23, 9, tzinfo=UTC), "pics", 3, ())
    return DecodedEvent(envelope, "OrganisationEdited", {"organisation": organisation(**changes)}, "fp:test")


def random_range(seed: int, length: int) -> list[tuple[str | None, DecodedEvent | None]]:
    """(key, event) per offset: edits of a few keys, some not Live or of another SA record, and breaks."""
    rng = random.Random(seed)
    rows: list[tuple[str | None, DecodedEvent | None]] = []
    for n in range(length):
        key = rng.choice(["a", "b", "c", "d", None])
        kind = rng.random()
        if kind < 0.55:
            rows.append((key, edit(key or "-", n)))
        elif kind < 0.65:
            rows.append((key, edit(key or "-", n, system_status="Withdrawn")))
        elif kind < 0.72:
            rows.append((key, edit(key or "-", n, smart_assessor_id="g-other")))
        elif kind < 0.8:
            rows.append((key, org_edit(key or "-", n, name=f"N{n}")))
        elif kind < 0.92:
            rows.append((key, other(key or "-", n)))
        else:
            rows.append((key, None))  # undecodable bytes
    return rows


@dataclass
class FakeConsumer:
    """Reads ``rows`` as a partition's messages, counting how many of those it handed out are alive."""

    rows: Sequence[tuple[str | None, DecodedEvent | None]]
    alive: weakref.WeakSet[Delivery] = field(default_factory=weakref.WeakSet)
    most_alive: int = 0
    reads: int = 0

    def read(self, partition: int, span: tuple[int, int]) -> Iterator[Delivery]:
        self.reads += 1
        for offset in range(*span):
            key, _event = self.rows[offset]
            delivery = Delivery(Source(TOPIC, partition, offset, key), offset.to_bytes(4, "big"))
            self.alive.add(delivery)
            self.most_alive = max(self.most_alive, len(self.alive))
            yield delivery

    def decode(self, value: bytes | None) -> DecodedEvent:
        event = self.rows[int.from_bytes(value or b"", "big")][1]
        if event is None:
            raise UndecodableEvent("not an event")
        return event


@dataclass
class Pipeline:
    """Stands in for ``process``: notes each offset it is given, in order; an undecodable message parks."""

    consumer: FakeConsumer
    seen: list[int] = field(default_factory=list)

    def process(self, delivery: Delivery, _ports: PipelinePorts, _mode: RunMode) -> Outcome:
        self.seen.append(delivery.source.offset)
        try:
            event = self.consumer.decode(delivery.value)
        except UndecodableEvent:
            return Outcome(Kind.PARKED, reason="undecodable")
        return Outcome(Kind.APPLIED, event.envelope.event_id, event.name, writes=("update learner",), sa_calls=1)


def replayed(
    rows: Sequence[tuple[str | None, DecodedEvent | None]],
    window: int,
    monkeypatch: pytest.MonkeyPatch,
    *,
    keys: frozenset[str] | None = None,
    coalesce: bool = True,
) -> tuple[FakeConsumer, Pipeline, dict[str, Any], list[tuple[int, str]]]:
    """(the consumer, the pipeline, the summary, the report's lines) of replaying ``rows`` in ``window``s."""
    consumer = FakeConsumer(rows)
    pipeline = Pipeline(consumer)
    monkeypatch.setattr(replay_module, "process", pipeline.process)
    ports = SimpleNamespace(serde=consumer, ledger=SimpleNamespace(priors=lambda _asked: {}))
    mode = RunMode(dry_run=True)
    options = ReplayOptions("pics.learner", keys=keys, mode=mode, coalesce=coalesce, progress=False, window=window)
    summary = Summary(TOPIC, "g", mode, ranges={0: (0, len(rows))})
    report: list[tuple[int, str]] = []

    def on_record(record: Record, outcome: Outcome | None) -> None:
        report.append((record.delivery.source.offset, "coalesced" if outcome is None else outcome.kind.value))

    apply_ranges(consumer.read, cast(PipelinePorts, ports), options, summary, on_record)
    shown = summary.as_dict()
    shown.pop("seconds")
    return consumer, pipeline, shown, report


@pytest.mark.parametrize("window", [2, 7, 50])  # from 2: reading holds the message in hand and the next one
def test_no_more_than_one_window_of_messages_is_held(window: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A range forty times the window is replayed with at most one window of its messages alive at once."""
    consumer, pipeline, summary, _ = replayed(random_range(1, 40 * window), window, monkeypatch)
    assert consumer.most_alive <= window
    assert summary["events_read"] == 40 * window and len(pipeline.seen) == 40 * window - summary["coalesced"]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("window", [1, 2, 3, 10, 64])
def test_windows_give_the_outcomes_of_the_whole_range(seed: int, window: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Coalescing reaches across windows: the summary, the report and the order of what is processed are the
    same as with the whole range in one window, and exactly what ``superseded`` keeps."""
    rows = random_range(seed, 200)
    _, whole_pipeline, whole, whole_report = replayed(rows, 10_000, monkeypatch)
    _, pipeline, summary, report = replayed(rows, window, monkeypatch)
    records = [Record(Delivery(Source(TOPIC, 0, n, key), b""), event) for n, (key, event) in enumerate(rows)]
    kept = [n for n in range(len(rows)) if n not in superseded(records)]
    assert (summary, report, pipeline.seen) == (whole, whole_report, whole_pipeline.seen)
    assert pipeline.seen == kept and summary["coalesced"] == len(rows) - len(kept)


def test_keys_and_no_coalescing_in_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    """--keys and --no-coalesce keep their meaning across windows; without coalescing the range is read once."""
    rows = random_range(7, 120)
    consumer, pipeline, summary, _ = replayed(rows, 5, monkeypatch, keys=frozenset({"a"}), coalesce=False)
    assert pipeline.seen == [n for n, (key, _event) in enumerate(rows) if key == "a"]
    assert (summary["filtered_out"], summary["coalesced"], consumer.reads) == (120 - len(pipeline.seen), 0, 1)


@pytest.mark.parametrize(("start", "end"), [(0, 0), (5, 6), (100, 117), (3, 4_000)])
def test_dropped_offsets_one_bit_each(start: int, end: int) -> None:
    """The superseded offsets of a range: members are found, others (and offsets outside it) are not."""
    dropped = Dropped(start, end)
    members = set(range(start, end, 3))
    for offset in members:
        dropped.add(offset)
    assert [n for n in range(start - 9, end + 9) if n in dropped] == sorted(members)


def _reference_superseded(records: Sequence[Record]) -> frozenset[int]:
    """Replay's coalescing as it was before windows (a backward pass over the whole range), to compare with."""
    later: dict[tuple[str, str], tuple[str, Any]] = {}
    dropped: set[int] = set()
    for index in reversed(range(len(records))):
        source = records[index].delivery.source
        if source.key is None:
            continue
        key = (source.topic, source.key)
        identity, pushable = _identity_of(records[index].event)
        if identity is not None and later.get(key) == identity:
            dropped.add(index)
        elif identity is not None and pushable:
            later[key] = identity
        else:
            later.pop(key, None)
    return frozenset(dropped)


def _identity_of(event: DecodedEvent | None) -> tuple[tuple[str, Any] | None, bool]:
    spec = COALESCIBLE.get(event.name) if event is not None else None
    if event is None or spec is None:
        return None, False
    image: Mapping[str, Any] = event.payload[spec.image]
    return (event.name, image.get(spec.target)), spec.pushable(image)


@pytest.mark.parametrize("seed", range(20))
def test_streaming_coalescing_agrees_with_the_whole_range_pass(seed: int) -> None:
    """The one-pass, forward coalescing drops exactly what the former backward pass over the whole range dropped."""
    rows = random_range(100 + seed, 300)
    records = [Record(Delivery(Source(TOPIC, 0, n, key), b""), event) for n, (key, event) in enumerate(rows)]
    assert superseded(records) == _reference_superseded(records)
