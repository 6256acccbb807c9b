"""Redrive: a key's parked events replayed in order through the same pipeline the consumer runs.

A parked event stays parked (``sync.parked_events``) while it is processed again, so a live
consumer keeps parking that key's new events behind it and a crash mid-way loses nothing. Only an
event whose new outcome is applied, skipped or a duplicate leaves the DLQ; the first one that parks
again ends its key's redrive, and the events after it stay parked behind it, in order.

The live view of admission would refuse a redriven event: its key has parked rows (the event's own
among them), and its event id is in the ledger as parked. A redrive runs in ``RunMode(redrive=True)``,
which admission reads as "this event is the head of its key" (``sync_core.pipeline.admission``), and
drops the event's 'parked' ledger row just before processing it, so its new outcome can be recorded.
Transient failures are retried as ``policy.REDRIVE`` allows; past that the redrive stops with the
event still parked.

A key is redriven under its advisory lock (``sync_core.state.key_lock``), held from the first read of
its parked events to the last: a second redrive of the key (a double click, the console and the CLI at
once) waits, then reads what the first left. A live event of the key parking meanwhile waits for the
lock too, and then parks behind what is still parked, or, when nothing is, is processed as the head.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field

from consumers.progress import Progress
from consumers.service import Service
from sync_core.errors import ConfigurationError
from sync_core.outcome import Kind, Outcome, Source
from sync_core.pipeline import policy
from sync_core.pipeline.process import Delivery, PipelinePorts, RunMode, process
from sync_core.pipeline.retrying import call
from sync_core.state.parked import KeyRef, ParkedEvent, ParkedEvents, ParkedFilter


@dataclass
class KeyReport:
    """What a redrive did (or, in a dry run, would do) to one key."""

    topic: str
    key: str | None
    outcomes: list[tuple[int, Kind]] = field(default_factory=list)  # (parked id, new outcome), in order
    reason: str | None = None  # why the key's first event parked again, if it did
    still_parked: int = 0  # the key's events left in the DLQ afterwards

    @property
    def parked_again(self) -> bool:
        """True when an event of the key parked again, so the key still waits."""
        return any(kind is Kind.PARKED for _id, kind in self.outcomes)

    def count(self, kind: Kind) -> int:
        """How many of the key's redriven events ended so."""
        return sum(1 for _id, done in self.outcomes if done is kind)

    def as_dict(self) -> dict[str, object]:
        """The report as plain values, for ``--json``."""
        counts = {kind.value: self.count(kind) for kind in Kind}
        return {"topic": self.topic, "key": self.key, "redriven": len(self.outcomes), **counts,
                "reason": self.reason, "still_parked": self.still_parked}  # fmt: skip


# X2 as v1 worded it: v1 parked an event about a learner not yet in SA, and everything of that
# learner after it (the enrolment included) waited behind it. v2 skips such an event, so a redrive of
# those keys under v2 settles them: the head is skipped "not in Smart Assessor", the rest apply.
V1_NOT_ENROLLED = "not enrolled (X2)"


def select(
    parked: ParkedEvents, *, key: str | None = None, parked_id: int | None = None, reason: str | None = None
) -> list[KeyRef]:
    """The redrive units: the key's (on every topic), the key of one parked event, the keys with an event
    parked for ``reason``, or all when none is given."""
    if parked_id is None:
        return parked.keys(ParkedFilter(key=key, reason=reason))
    event = parked.get(parked_id)
    if event is None:
        return []
    return [KeyRef(event.topic, event.key, event.id if event.key is None else None)]


def redrive(
    service: Service, refs: Sequence[KeyRef], mode: RunMode, progress: Progress | None = None
) -> list[KeyReport]:
    """Redrive each unit in turn; a dry run plans every event and changes nothing."""
    if not mode.dry_run and not service.ports.settings().integration_enabled:
        # The pipeline would record every event as skipped (S1) and the DLQ would lose them.
        raise ConfigurationError("the integration is off (S1): turn it on before a redrive, or use --dry-run")
    parked = ParkedEvents(service.pool)
    ports, mode = service.ports, dataclasses.replace(mode, redrive=True)
    reports = []
    for ref in refs:
        reports.append(redrive_key(ref, ports, parked, mode))
        if progress:
            progress.advance()
    return reports


def redrive_key(ref: KeyRef, ports: PipelinePorts, parked: ParkedEvents, mode: RunMode) -> KeyReport:
    """Process the unit's parked events in order, stopping at the first that parks again.

    Holds the key's lock throughout, so a live park of the key waits for the end (and then parks behind
    what is left, or is processed as the head); the key is read again after each pass all the same. A
    dry run takes no lock and removes nothing, so the second read finds only events already planned.
    """
    report = KeyReport(ref.topic, ref.key)
    with nullcontext() if mode.dry_run else parked.locked(ref):
        while not report.parked_again and (pending := _not_yet(parked.of_key(ref), report)):
            _redrive_pass(pending, ports, parked, mode, report)
    settled = {parked_id for parked_id, kind in report.outcomes if kind is not Kind.PARKED}
    report.still_parked = sum(1 for e in parked.of_key(ref) if e.id not in settled)
    return report


def _redrive_pass(
    pending: list[ParkedEvent], ports: PipelinePorts, parked: ParkedEvents, mode: RunMode, report: KeyReport
) -> None:
    for event in pending:
        outcome = _redrive_one(event, ports, parked, mode)
        report.outcomes.append((event.id, outcome.kind))
        if outcome.kind is Kind.PARKED:
            report.reason = _reason(outcome)
            return


def _not_yet(events: list[ParkedEvent], report: KeyReport) -> list[ParkedEvent]:
    done = {parked_id for parked_id, _kind in report.outcomes}
    return [event for event in events if event.id not in done]


def _redrive_one(event: ParkedEvent, ports: PipelinePorts, parked: ParkedEvents, mode: RunMode) -> Outcome:
    if mode.dry_run:
        return process(delivery(event), ports, mode)
    parked.release(event)
    try:
        outcome = call(lambda: process(delivery(event), ports, mode), policy.REDRIVE)
    except BaseException:
        parked.restore(event)  # still parked: keep a redelivery of the message from processing it
        raise
    if outcome.kind is not Kind.PARKED:
        parked.remove(event)
    return outcome


def delivery(event: ParkedEvent) -> Delivery:
    """The parked message as the pipeline first saw it."""
    source = Source(event.topic, event.partition, event.offset, event.key)
    return Delivery(source, event.value, event.headers)


def _reason(outcome: Outcome) -> str | None:
    # Worded as the ledger stores it, so the report and `dlq list` agree.
    if outcome.rule and outcome.reason:
        return f"{outcome.reason} ({outcome.rule})"
    return outcome.reason
