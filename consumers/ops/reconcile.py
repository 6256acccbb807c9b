"""``pics-sync reconcile``: the synchronisation of differences on demand (DOMAIN.md D1–D5).

A real run asks, as the daily run does, for each learner's comparison with SA: one ``ReconcileRequested``
per learner on ``pics.learner``, carried out by the push consumer in the learner's key order (D5), so a
repair never lands under a newer edit. A dry run (D4) does the comparison here and now, through the same
R1 plan and the executor's compare mode with writes listed, not made: what it prints is what the
consumer would write for each record and field, had nothing changed meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from consumers.producer import EventProducer
from consumers.service import Service
from sync_core import clock
from sync_core.config import kafka_settings
from sync_core.drift.compare import Difference
from sync_core.errors import PermanentError
from sync_core.execute import executor
from sync_core.pics.eligible import EligibleLearners
from sync_core.pics.snapshot import learner_snapshot
from sync_core.plan import Park, Skip
from sync_core.rules.refresh import plan_refresh_requested
from sync_core.serde import new_event

RECONCILE, LEARNER_TOPIC = "ReconcileRequested", "pics.learner"


@dataclass(frozen=True)
class Predicted:
    """One learner's differences a dry run found, or why it was not compared."""

    learner_ident: str
    differences: tuple[Difference, ...] = ()
    not_compared: str | None = None  # the skip or park reason of its plan


def learners_of(service: Service, learner_ident: str | None) -> list[str]:
    """The learners a run covers: the one named (any Live learner in SA, Y2), else every eligible one (Y1)."""
    eligible = EligibleLearners(service.pool)
    if learner_ident is None:
        return [row["learner_ident"] for row in eligible.daily(clock.today(service.config.zone))]
    if eligible.one(learner_ident) is None:
        raise PermanentError(f"learner {learner_ident} is not a Live learner in Smart Assessor (Y2)")
    return [learner_ident]


def request(service: Service, learners: Sequence[str]) -> int:
    """A real run: one reconcile request per learner, for the push consumer (D5); how many were sent."""
    config = service.config
    producer = EventProducer(kafka_settings(config), service.ports.serde, topic_prefix=config.topic_prefix)
    for ident in learners:
        producer.send(LEARNER_TOPIC, ident, new_event(RECONCILE, {"learner_ident": ident, "run_id": None}))
    producer.flush()
    return len(learners)


def predict(service: Service, learners: Sequence[str]) -> Iterator[Predicted]:
    """A dry run (D4): each learner compared with SA now, its writes listed and none made."""
    settings, today = service.ports.settings(), clock.today(service.config.zone)
    for ident in learners:
        payload = learner_snapshot(service.pool, ident)
        if payload is None:
            yield Predicted(ident, not_compared="not in PICS (D1)")
            continue
        plan = plan_refresh_requested(payload, settings, service.ports.lookups, today)
        # As the consumer would: a park holds the whole plan, a plan of skips only has nothing to compare.
        held: Park | Skip | None = next((step for step in plan if isinstance(step, Park)), None)
        if held is None and all(isinstance(step, Skip) for step in plan):
            held = next((step for step in plan if isinstance(step, Skip)), None)
        if held is not None:
            yield Predicted(ident, not_compared=f"{held.reason} ({held.rule})")
            continue
        effects = executor.execute(plan, service.ports.execution, dry_run=True, compare=True)
        yield Predicted(ident, effects.differences)
