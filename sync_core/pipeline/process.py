"""One message from bytes to recorded outcome: decode, de-duplicate, plan, execute, record.

Knows no Kafka: the consume loop hands it a ``Delivery`` and stores the offset once it returns.
A ``TransientError`` escapes so the caller can retry the same message; everything else ends in
an outcome written to the ledger in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import structlog

from sync_core.errors import PermanentError, UndecodableEvent
from sync_core.execute import executor
from sync_core.execute.pics import PicsWriter, execute_pics
from sync_core.fields import Lookups
from sync_core.outcome import Kind, Outcome, Source
from sync_core.pipeline.routes import ROUTES, Route
from sync_core.plan import Park, Plan, Skip
from sync_core.serde import AvroSerde, DecodedEvent
from sync_core.settings import IntegrationSettings
from sync_core.state.ledger import Ledger

log = structlog.get_logger("pics_sync.pipeline")


@dataclass(frozen=True)
class Delivery:
    """A message as the pipeline sees it."""

    source: Source
    value: bytes | None
    headers: Sequence[tuple[str, bytes | None]] = ()
    # The consume loop asked the ledger about its whole poll (``Ledger.known_new``): this event id was
    # not processed and its key had no parked event, so the pipeline need not ask again.
    known_new: bool = False


@dataclass(frozen=True)
class PipelinePorts:
    """What the pipeline talks to."""

    serde: AvroSerde
    ledger: Ledger
    lookups: Lookups
    execution: executor.ExecutorPorts
    pics: PicsWriter
    settings: Callable[[], IntegrationSettings]


@dataclass(frozen=True)
class RunMode:
    """How a message is processed: live, as a dry run (no writes, nothing recorded), or forced."""

    dry_run: bool = False  # plan and report the SA calls; write nothing, record nothing
    force: bool = False  # ignore the ledger and the pushed-state hashes (an SA that lost data)


LIVE = RunMode()


def process(delivery: Delivery, ports: PipelinePorts, mode: RunMode = LIVE) -> Outcome:
    """Process one message; returns its outcome, already recorded (unless a dry run)."""
    try:
        event = ports.serde.decode(delivery.value or b"")
    except UndecodableEvent as bad:
        return _park(delivery, Outcome(Kind.PARKED, reason=str(bad)), ports, type(bad).__name__, mode)
    structlog.contextvars.bind_contextvars(event_id=event.envelope.event_id, key=delivery.source.key)
    try:
        outcome = _decide(delivery, event, ports, mode)
    finally:
        structlog.contextvars.unbind_contextvars("event_id", "key")
    return outcome


def duplicate(event: DecodedEvent) -> Outcome:
    """The outcome of an event whose id the ledger holds: nothing to do (a forced run aside)."""
    duplicate = Outcome(Kind.DUPLICATE, event.envelope.event_id, event.name, reason="event id already processed")
    return _logged(duplicate)


def _decide(delivery: Delivery, event: DecodedEvent, ports: PipelinePorts, mode: RunMode) -> Outcome:
    base = Outcome(Kind.APPLIED, event_id=event.envelope.event_id, event_type=event.name)
    if delivery.known_new:
        seen, parked_ahead = False, False
    else:
        seen, parked_ahead = ports.ledger.seen_or_parked(
            base.event_id or "", delivery.source.topic, delivery.source.key
        )
    if seen and not mode.force:
        return duplicate(event)
    settings = ports.settings()
    if not settings.integration_enabled:
        skipped = replace(base, kind=Kind.SKIPPED, reason="integration disabled", rule="S1")
        return _record(delivery, skipped, ports, mode)
    if parked_ahead:
        parked = replace(base, kind=Kind.PARKED, reason="waiting behind a parked event of this learner")
        return _park(delivery, parked, ports, "ParkedBehind", mode)
    route = ROUTES.get(event.name)
    if route is None:
        no_route = replace(base, kind=Kind.PARKED, reason=f"no route for {event.name}")
        return _park(delivery, no_route, ports, "NoRoute", mode)
    plan = route.rule(event.payload, settings, ports.lookups, event.envelope.occurred_at.date())
    return _apply(delivery, base, plan, ports, route, mode)


def _execute(plan: Plan, ports: PipelinePorts, route: Route, mode: RunMode) -> executor.Effects:
    if not route.pulls:
        return executor.execute(plan, ports.execution, dry_run=mode.dry_run, force=mode.force)
    if mode.dry_run:  # the pull side's writes are PICS rows: list them, write none
        return executor.Effects(calls=tuple(f"pics {type(step).__name__}" for step in plan))
    return execute_pics(plan, ports.pics)


def _apply(delivery: Delivery, base: Outcome, plan: Plan, ports: PipelinePorts, route: Route, mode: RunMode) -> Outcome:
    park = next((step for step in plan if isinstance(step, Park)), None)
    if park is not None:
        parked = replace(base, kind=Kind.PARKED, reason=park.reason, rule=park.rule)
        return _park(delivery, parked, ports, "Park", mode)
    if plan and all(isinstance(step, Skip) for step in plan):
        skip = plan[0]
        assert isinstance(skip, Skip)
        return _record(delivery, replace(base, kind=Kind.SKIPPED, reason=skip.reason, rule=skip.rule), ports, mode)
    try:
        effects = _execute(plan, ports, route, mode)
    except PermanentError as refused:
        parked = replace(base, kind=Kind.PARKED, reason=f"{refused.reason}: {refused}")
        return _park(delivery, parked, ports, type(refused).__name__, mode)
    reason = "; ".join(effects.reports) or None
    return _record(
        delivery,
        replace(
            base,
            sa_calls=effects.sa_calls,
            writes=effects.calls,
            pushed=effects.pushed,
            reason=reason,
            pics_rows_changed=effects.pics_rows_changed,
        ),
        ports,
        mode,
    )


def _record(delivery: Delivery, outcome: Outcome, ports: PipelinePorts, mode: RunMode) -> Outcome:
    if mode.dry_run:
        return outcome
    if not ports.ledger.record(delivery.source, outcome, replace_existing=mode.force):
        outcome = replace(outcome, kind=Kind.DUPLICATE, reason="event id already processed")
    return _logged(outcome)


def _park(delivery: Delivery, outcome: Outcome, ports: PipelinePorts, error_class: str, mode: RunMode) -> Outcome:
    if mode.dry_run:
        return outcome
    ports.ledger.park(delivery.source, outcome, value=delivery.value, headers=delivery.headers, error_class=error_class)
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
