"""``pics-sync reconcile``: the synchronisation of differences on demand (DOMAIN.md D1–D5).

A run covers learners (the one named, any Live learner in SA, Y2; else every eligible one, Y1) and the
employers and assessors linked to them, each once (``Scope``: any of the three entities).

A real run is a run of its own in ``sync.pull_runs`` (scope ``reconcile:<entities>[:learner:<ident>]``).
It sends one reconcile request per record (``consumers.ops.reconcile_requests``), carried out by the
push consumer in each record's key order (D5), so a repair never lands under a newer edit, and what
the consumer finds is recorded under the run (``reconcile report --run R``). Records go in one fixed
order (learners, employers, assessors, each by id); every ``chunk`` requests, once they are on Kafka,
the run's checkpoint moves to the last of them, and ``--resume`` sends those after it, under the
same ids, so a crashed run ends as an uninterrupted one would (one sent twice is a ledger duplicate).

A dry run (D4) compares here and now, ``concurrency`` records at once, its SA reads paced by the
service's SA client: each record's plan is its request's route's (the rule the consumer plans with,
from PICS's current record), executed in compare mode with writes listed, not made. What it returns,
in record order, is what the consumer would write for each record and field, had nothing changed since.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

import structlog

from consumers.ops import reconcile_requests as requested
from consumers.ops.reconcile_requests import ENTITIES, LEARNERS, Target
from consumers.producer import EventProducer
from consumers.progress import Progress
from consumers.service import Service
from sync_core import clock
from sync_core.config import kafka_settings
from sync_core.drift.compare import Difference
from sync_core.errors import PermanentError
from sync_core.execute import executor
from sync_core.pics.eligible import EligibleLearners
from sync_core.pipeline import policy
from sync_core.pipeline.retrying import call
from sync_core.plan import holding
from sync_core.settings import IntegrationSettings
from sync_core.state.pull_runs import PullRuns

log = structlog.get_logger("pics_sync.reconcile")
SCOPE = "reconcile:"  # the start of a reconcile run's scope in sync.pull_runs


@dataclass(frozen=True)
class Scope:
    """What a run covers: which entities, of which learners (one, or every eligible one)."""

    entities: tuple[str, ...] = ENTITIES
    learner: str | None = None

    @classmethod
    def of(cls, entities: Sequence[str] | None, learner: str | None) -> Scope:
        """The entities named (all three when none), in the order a run sends them."""
        return cls(tuple(e for e in ENTITIES if not entities or e in entities), learner)

    @property
    def text(self) -> str:
        """As ``sync.pull_runs.scope`` keeps it, so that ``--resume`` covers what the run covered."""
        return SCOPE + ",".join(self.entities) + ("" if self.learner is None else f":learner:{self.learner}")

    @classmethod
    def parse(cls, text: str) -> Scope:
        """The scope a run's row keeps (``text``'s inverse)."""
        entities, _, learner = text.removeprefix(SCOPE).partition(":learner:")
        return cls(tuple(entities.split(",")), learner or None)


@dataclass(frozen=True)
class Options:
    """How a run goes: requests between checkpoints, records a dry run compares at once, a progress bar."""

    chunk: int = 500
    concurrency: int = 16
    progress: bool = False


@dataclass(frozen=True)
class Started:
    """A real run, and the records it has still to ask about."""

    run_id: int
    todo: list[Target]
    resumed: bool = False


@dataclass(frozen=True)
class Predicted:
    """One record's differences a dry run found, or why it was not compared."""

    entity: str  # learners, employers or assessors
    record_id: str
    differences: tuple[Difference, ...] = ()
    not_compared: str | None = None  # not in PICS, or the skip or park reason of its plan


def learners_of(service: Service, learner_ident: str | None) -> list[str]:
    """The learners a run covers: the one named (any Live learner in SA, Y2), else every eligible one (Y1)."""
    eligible = EligibleLearners(service.pool)
    if learner_ident is None:
        return [row["learner_ident"] for row in eligible.daily(clock.today(service.config.zone))]
    if eligible.one(learner_ident) is None:
        raise PermanentError(f"learner {learner_ident} is not a Live learner in Smart Assessor (Y2)")
    return [learner_ident]


def targets(service: Service, scope: Scope) -> list[Target]:
    """The records ``scope`` covers, in the order a run sends them: learners, employers, assessors, each by id."""
    idents = learners_of(service, scope.learner)
    found = [(LEARNERS, ident) for ident in sorted(idents)] if LEARNERS in scope.entities else []
    if set(scope.entities) - {LEARNERS}:
        found += [t for t in requested.linked(EligibleLearners(service.pool), idents) if t[0] in scope.entities]
    return found


def after(todo: Sequence[Target], checkpoint: str | None) -> list[Target]:
    """The records of ``todo`` past ``checkpoint`` (``<entity>:<id>``, the last one sent); all with none."""
    if not checkpoint:
        return list(todo)
    entity, _, record_id = checkpoint.partition(":")
    return [t for t in todo if _position(t) > _position((entity, record_id))]


def _position(target: Target) -> tuple[int, str]:
    return ENTITIES.index(target[0]), target[1]


def start(service: Service, scope: Scope) -> Started:
    """A new real run over ``scope``, recorded in ``sync.pull_runs``."""
    todo = targets(service, scope)
    return Started(PullRuns(service.pool).start(clock.today(service.config.zone), scope.text, len(todo)), todo)


def last_run(service: Service) -> dict[str, Any] | None:
    """The latest reconcile run's row, finished or not; None before the first."""
    return PullRuns(service.pool).latest_scoped(SCOPE)


def resume(service: Service, row: dict[str, Any]) -> Started:
    """The unfinished run ``row`` from its checkpoint on, over the scope it was started with."""
    todo = after(targets(service, Scope.parse(row["scope"])), row["checkpoint"])
    log.info("reconcile.resumed", run_id=row["id"], after=row["checkpoint"], remaining=len(todo))
    return Started(row["id"], todo, resumed=True)


def send(service: Service, started: Started, options: Options) -> dict[str, Any]:
    """A real run: the requests of ``started.todo``, checkpointed every ``options.chunk``; the run's summary.

    An error the run cannot go past marks it failed, then raises: ``--resume`` carries it on."""
    try:
        figures = _send(service, started, options)
    except Exception as stopped:
        log.error("reconcile.failed", run_id=started.run_id, error=type(stopped).__name__)
        PullRuns(service.pool).finish(started.run_id, "failed")
        raise
    row = PullRuns(service.pool).finish(started.run_id, "succeeded")
    log.info("reconcile.finished", run_id=started.run_id, **figures)
    return {"run_id": started.run_id, "status": row["status"], "resumed": started.resumed,
            "records": row["learners_eligible"], **figures}  # fmt: skip


def _send(service: Service, started: Started, options: Options) -> dict[str, int]:
    config = service.config
    requested.ensure_request_topics(config)
    producer = EventProducer(kafka_settings(config), service.ports.serde, topic_prefix=config.topic_prefix)
    requests = requested.ReconcileRequests(producer, started.run_id)
    progress = Progress(len(started.todo), "reconcile: requests sent") if options.progress else None
    for number, start_at in enumerate(range(0, len(started.todo), options.chunk), start=1):
        chunk = started.todo[start_at : start_at + options.chunk]
        for target in chunk:
            requests.send(target)
            if progress:
                progress.advance()
        requests.flush()  # on Kafka before the checkpoint passes them
        last = ":".join(chunk[-1])
        PullRuns(service.pool).checkpoint(started.run_id, last, read=len(chunk), events=len(chunk), calls=0, unmapped=0)
        service.ports.execution.checkpoint(f"after_reconcile_chunk:{number}")  # a crash test's kill -9
    if progress:
        progress.close()
    return requests.figures()


def predict(service: Service, todo: Sequence[Target], options: Options = Options()) -> list[Predicted]:
    """A dry run (D4): each record compared with SA now, ``options.concurrency`` at once, its writes listed and
    none made; in ``todo``'s order."""
    compare = partial(_predicted, service, service.ports.settings(), clock.today(service.config.zone))
    progress = Progress(len(todo), "reconcile: records compared") if options.progress else None
    found: list[Predicted] = []
    with ThreadPoolExecutor(max_workers=options.concurrency, thread_name_prefix="reconcile") as pool:
        for predicted in pool.map(compare, todo):
            found.append(predicted)
            if progress:
                progress.advance()
    if progress:
        progress.close()
    return found


def _predicted(service: Service, settings: IntegrationSettings, today: date, target: Target) -> Predicted:
    """One record compared; an SA hiccup retried, a failure the consumer would park reported (not compared)."""
    try:
        return call(partial(_compared, service, settings, today, target), policy.PULL)
    except Exception as failed:
        verdict = policy.decide(failed, 1, policy.PULL)
        if not isinstance(verdict, policy.Park):
            raise
        return Predicted(*target, not_compared=verdict.reason)


def _compared(service: Service, settings: IntegrationSettings, today: date, target: Target) -> Predicted:
    entity, record_id = target
    route = requested.request_route(entity)
    payload = service.ports.snapshot(route.topic, record_id)
    if payload is None:
        return Predicted(entity, record_id, not_compared="not in PICS (D1)")
    plan = route.rule(payload, settings, service.ports.lookups, today)
    held = holding(plan)  # as the consumer decides
    if held is not None:
        return Predicted(entity, record_id, not_compared=f"{held.reason} ({held.rule})")
    effects = executor.execute(plan, service.ports.execution, dry_run=True, compare=route.compare)
    return Predicted(entity, record_id, effects.differences)
