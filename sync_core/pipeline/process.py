"""One message from bytes to recorded outcome: decode, admit, plan, execute, record or park.

Knows no Kafka: the consume loop hands it a ``Delivery`` and stores the offset once it returns.
An event whose value cannot be decoded, or whose key is unusable (``keys``), parks before anything
else is asked of it. What becomes of an error is ``policy.decide``'s: a transient or fatal one
escapes, so the caller can retry the same message or stop; any other parks the event (a permanent
one with its reason, an unexpected one with its class), so the learner's later events are never
left waiting on nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import tzinfo
from typing import Any

import structlog

from sync_core import clock
from sync_core.drift.compare import Difference
from sync_core.errors import UndecodableEvent
from sync_core.execute import executor
from sync_core.execute.pics import PicsWriter, execute_pics
from sync_core.faults import no_fault
from sync_core.fencing import Fence
from sync_core.fields import Lookups
from sync_core.outcome import Kind, Outcome, Source
from sync_core.pipeline import keys, policy
from sync_core.pipeline.admission import LIVE, NOTHING_KNOWN, Admission, Prior, RunMode, admit
from sync_core.pipeline.routes import ROUTES, Route
from sync_core.plan import Park, Plan, Skip, holding
from sync_core.serde import AvroSerde, DecodedEvent
from sync_core.settings import IntegrationSettings
from sync_core.state.ledger import Ledger

__all__ = ["LIVE", "Delivery", "PipelinePorts", "RunMode", "duplicate", "process"]

log = structlog.get_logger("pics_sync.pipeline")
UNUSABLE_KEY = "UnusableKey"  # the error class of an event parked for its key (``sync_core.pipeline.keys``)


@dataclass(frozen=True)
class Delivery:
    """A message as the pipeline sees it."""

    source: Source
    value: bytes | None
    headers: Sequence[tuple[str, bytes | None]] = ()
    # What the ledger knew of it when the caller asked about a whole batch (``Ledger.priors``);
    # None: the pipeline asks for this one alone.
    prior: Prior | None = None


def no_pull(_learner_ident: str) -> int:
    """Where no pull is wired (unit tests, tools): a refresh pushes only."""
    return 0


@dataclass(frozen=True)
class PipelinePorts:
    """What the pipeline talks to."""

    serde: AvroSerde
    ledger: Ledger
    lookups: Lookups
    execution: executor.ExecutorPorts
    pics: PicsWriter
    settings: Callable[[], IntegrationSettings]
    # (topic, record id) → PICS's current record of that learner, organisation or officer, shaped as the
    # payload its topic's rules plan from (``sync_core.pics.snapshot``); None: PICS has no such record.
    snapshot: Callable[[str, str], Mapping[str, Any] | None]
    # D3: records the differences a compare-mode event found (run id, event id, differences).
    drift: Callable[[int | None, str | None, Sequence[Difference]], int]
    # R1 v2's pull half: one learner's pull with ids of a run of its own; returns the items sent.
    pull: Callable[[str], int] = field(default=no_pull)
    rule_fault: Callable[[str | None], None] = field(default=no_fault)  # tests: raise in a key's rule
    zone: tzinfo = field(default=clock.zone(clock.DEFAULT_ZONE))  # the calendar of an event's day

    def fenced(self, fence: Fence) -> PipelinePorts:
        """These ports for the works of one partition generation: nothing is written to SA, recorded or
        parked once ``fence`` is set (``sync_core.fencing``)."""
        return replace(self, execution=self.execution.fenced(fence))


def process(delivery: Delivery, ports: PipelinePorts, mode: RunMode = LIVE) -> Outcome:
    """Process one message; returns its outcome, already recorded (unless a dry run)."""
    try:
        event = ports.serde.decode(delivery.value or b"")
    except UndecodableEvent as bad:
        return _park(delivery, Outcome(Kind.PARKED, reason=str(bad)), ports, type(bad).__name__, mode)
    unusable = keys.problem(delivery.source.key)
    if unusable is not None:
        # Without its event id: the ledger does not hold the event, so a copy sent again under its
        # right key is processed as new.
        return _park(delivery, Outcome(Kind.PARKED, event_type=event.name, reason=unusable), ports, UNUSABLE_KEY, mode)
    structlog.contextvars.bind_contextvars(event_id=event.envelope.event_id, key=delivery.source.key)
    try:
        return _admitted(delivery, event, ports, mode)
    finally:
        structlog.contextvars.unbind_contextvars("event_id", "key")


def duplicate(event: DecodedEvent) -> Outcome:
    """The outcome of an event whose id the ledger holds: nothing to do (a forced run aside)."""
    duplicate = Outcome(Kind.DUPLICATE, event.envelope.event_id, event.name, reason="event id already processed")
    return _logged(duplicate)


def prior_of(delivery: Delivery, event_id: str, ledger: Ledger) -> Prior:
    """What the ledger knows of the delivery: from the caller's batch question, or asked now."""
    if delivery.prior is not None:
        return delivery.prior
    if not event_id:
        return NOTHING_KNOWN
    return ledger.prior(event_id, delivery.source.topic, delivery.source.key)


def _admitted(delivery: Delivery, event: DecodedEvent, ports: PipelinePorts, mode: RunMode) -> Outcome:
    base = Outcome(Kind.APPLIED, event_id=event.envelope.event_id, event_type=event.name)
    prior = prior_of(delivery, base.event_id or "", ports.ledger)
    settings = ports.settings()
    admission = admit(prior, integration_enabled=settings.integration_enabled, mode=mode)
    if admission is Admission.DUPLICATE:
        return duplicate(event)
    if admission is Admission.SKIPPED:
        skipped = replace(base, kind=Kind.SKIPPED, reason="integration disabled", rule="S1")
        return _record(delivery, skipped, ports, mode)
    if admission is Admission.BEHIND_PARKED:
        parked = replace(base, kind=Kind.PARKED, reason="waiting behind a parked event of this learner")
        behind = _park_behind(delivery, parked, ports, mode)
        if behind is not None:
            return behind
    route = ROUTES.get(event.name)
    if route is None:
        no_route = replace(base, kind=Kind.PARKED, reason=f"no route for {event.name}")
        return _park(delivery, no_route, ports, "NoRoute", mode)
    found: list[Difference] = []  # compare mode: the differences found so far, should a write fail
    try:
        return _planned(delivery, event, base, route, settings, ports, mode, found)
    except Exception as failed:
        verdict = policy.decide(failed, 1, policy.LIVE)
        if not isinstance(verdict, policy.Park):
            raise  # retried or stopped by the caller: the retry finds them again
        _record_found(event, found, ports, mode)  # D3: what it found, the write that failed "failed"
        parked = replace(base, kind=Kind.PARKED, reason=verdict.reason)
        return _park(delivery, parked, ports, verdict.error_class, mode)


def _planned(
    delivery: Delivery,
    event: DecodedEvent,
    base: Outcome,
    route: Route,
    settings: IntegrationSettings,
    ports: PipelinePorts,
    mode: RunMode,
    found: list[Difference],
) -> Outcome:
    ports.rule_fault(delivery.source.key)
    on = clock.local_date(event.envelope.occurred_at, ports.zone)  # the PICS day of the event, not UTC's
    payload = _payload(event, route, ports)
    if payload is None:
        gone = replace(base, kind=Kind.SKIPPED, reason="not in PICS", rule="D1")
        return _record(delivery, gone, ports, mode)
    plan = route.rule(payload, settings, ports.lookups, on)
    match holding(plan):
        case Park(reason=reason, rule=rule):
            return _park(delivery, replace(base, kind=Kind.PARKED, reason=reason, rule=rule), ports, "Park", mode)
        case Skip(reason=reason, rule=rule):
            return _record(delivery, replace(base, kind=Kind.SKIPPED, reason=reason, rule=rule), ports, mode)
    effects = _execute(plan, ports, route, mode, found)
    _record_found(event, effects.differences, ports, mode)
    found.clear()  # recorded: a failure after this point has nothing more to record
    reports = effects.reports
    if route.then_pull and not mode.dry_run:
        reports += (_pull_half(payload["learner"]["learner_ident"], ports),)
    applied = replace(
        base,
        sa_calls=effects.sa_calls,
        writes=effects.calls,
        pushed=effects.pushed,
        reason="; ".join(reports) or None,
        pics_rows_changed=effects.pics_rows_changed,
    )
    return _record(delivery, applied, ports, mode)


def _payload(event: DecodedEvent, route: Route, ports: PipelinePorts) -> Mapping[str, Any] | None:
    """What the rule plans from: the event's after-image, or PICS's record of the learner, organisation or
    officer it names, read now (D5)."""
    if not route.current_record:
        return event.payload
    return ports.snapshot(route.topic, route.record_of(event.payload))


def _record_found(event: DecodedEvent, found: Sequence[Difference], ports: PipelinePorts, mode: RunMode) -> None:
    """D3: the differences an event found, under the run that asked (none for a refresh)."""
    if found and not mode.dry_run:
        ports.execution.fence.check()  # as for the ledger: a generation that is gone records nothing
        ports.drift(event.payload.get("run_id"), event.envelope.event_id, tuple(found))


def _pull_half(learner_ident: str, ports: PipelinePorts) -> str:
    """R1 v2: the learner's pull, once its push half is done. A failure the policy would retry is retried
    (the push half then finds nothing to do); one it would park is reported instead, since the push half
    is done and the learner's next edits must not wait behind it."""
    ports.execution.fence.check()  # a generation that is gone leaves the refresh to the next owner
    try:
        return f"{ports.pull(learner_ident)} items pulled from SA (R1)"
    except Exception as failed:
        verdict = policy.decide(failed, 1, policy.LIVE)
        if not isinstance(verdict, policy.Park):
            raise
        log.warning("refresh.pull_failed", error=type(failed).__name__, rule="R1")
        return f"the learner's pull failed ({verdict.reason}): pics-sync refresh pulls it again (R1)"


def _execute(
    plan: Plan, ports: PipelinePorts, route: Route, mode: RunMode, found: list[Difference]
) -> executor.Effects:
    if not route.pulls:
        return executor.execute(
            plan, ports.execution, dry_run=mode.dry_run, force=mode.force, compare=route.compare, found=found
        )
    if mode.dry_run:  # the pull side's writes are PICS rows: list them, write none
        return executor.Effects(calls=tuple(f"pics {type(step).__name__}" for step in plan))
    return execute_pics(plan, ports.pics)


def _record(delivery: Delivery, outcome: Outcome, ports: PipelinePorts, mode: RunMode) -> Outcome:
    if mode.dry_run:
        return outcome
    ports.execution.fence.check()  # a generation that is gone records nothing: the next owner does it again
    if not ports.ledger.record(delivery.source, outcome, replace_existing=mode.force):
        outcome = replace(outcome, kind=Kind.DUPLICATE, reason="event id already processed")
    return _logged(outcome)


def _park(delivery: Delivery, outcome: Outcome, ports: PipelinePorts, error_class: str, mode: RunMode) -> Outcome:
    if mode.dry_run:
        return outcome
    ports.execution.fence.check()
    # A redrive holds its key's lock for the whole key (``consumers.ops.redrive``): its parks do not take it again.
    source, value, headers = delivery.source, delivery.value, delivery.headers
    ports.ledger.park(source, outcome, value=value, headers=headers, error_class=error_class, key_held=mode.redrive)
    return _logged(outcome)


def _park_behind(delivery: Delivery, outcome: Outcome, ports: PipelinePorts, mode: RunMode) -> Outcome | None:
    """Park the event behind the parked one of its key; None when none is parked any more (a redrive settled
    the key since admission asked), so the event is the head of its key and goes on."""
    if mode.dry_run:
        return outcome
    ports.execution.fence.check()
    source, value, headers = delivery.source, delivery.value, delivery.headers
    if not ports.ledger.park(source, outcome, value=value, headers=headers, error_class="ParkedBehind", behind=True):
        return None
    return _logged(outcome)


def _logged(outcome: Outcome) -> Outcome:
    log.info(
        "event.processed",
        outcome=outcome.kind.value,
        event_type=outcome.event_type,
        reason=outcome.reason,
        rule=outcome.rule,
        sa_calls=outcome.sa_calls,
    )
    return outcome
