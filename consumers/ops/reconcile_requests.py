"""Reconcile requests: asking the push consumer to compare a PICS record with SA and repair it (DOMAIN.md D1, D5).

One request per record, on the record's push topic under its key, so the push consumer carries it out
in order with that record's edits (D5): a learner's ``ReconcileRequested`` on pics.learner (R1's plan),
an organisation's ``OrganisationReconcileRequested`` on pics.organisation (its SA employer, G1), an
officer's ``OfficerReconcileRequested`` on pics.officer (its SA assessor, O1). A request names only the
record and the run that asks: the consumer reads PICS's current record when it processes it, and the
settings then decide what is compared (a record whose mode is not Push is skipped, not compared).

The employers and assessors of a run are those linked to its learners (``linked``), each asked about
once however many learners share it. A request's event id is the run's and the record's
(``sync_core.pull.reads.event_id``): a resumed run that sends one again sends a ledger duplicate, never
a second comparison. The daily run (``consumers.ops.daily_pull``) and ``pics-sync reconcile``
(``consumers.ops.reconcile``) both send theirs here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from consumers.kafka.clients import ensure_topics
from consumers.producer import EventProducer
from sync_core.config import RuntimeConfig, kafka_settings, topic_layout
from sync_core.pics.eligible import EligibleLearners
from sync_core.pipeline.routes import LEARNER, OFFICER, ORGANISATION, RECORD_KEYS, ROUTES, Route
from sync_core.pull.reads import event_id
from sync_core.serde import new_event

LEARNERS, EMPLOYERS, ASSESSORS = "learners", "employers", "assessors"
ENTITIES = (LEARNERS, EMPLOYERS, ASSESSORS)  # what a run covers, in the order it sends them
TOPICS: Mapping[str, str] = {LEARNERS: LEARNER, EMPLOYERS: ORGANISATION, ASSESSORS: OFFICER}
# A topic's request record: its route plans from PICS's current record (``Route.current_record``).
_REQUESTS = {route.topic: name for name, route in ROUTES.items() if route.current_record}
# How a run's summary counts them (``reconcile_requested`` is the learners', as before employers were).
FIGURES: Mapping[str, str] = {LEARNERS: "reconcile_requested", EMPLOYERS: "reconcile_requested_employers",
                              ASSESSORS: "reconcile_requested_assessors"}  # fmt: skip

Target = tuple[str, str]  # (entity, PICS record id): what one request asks about


def request_route(entity: str) -> Route:
    """How the push consumer carries out a request about one of ``entity`` (its rule, compare mode)."""
    return ROUTES[_REQUESTS[TOPICS[entity]]]


def request_event(target: Target, run_id: int) -> dict[str, Any]:
    """The request about ``target`` in run ``run_id``, with the id that run always gives it."""
    entity, record_id = target
    topic = TOPICS[entity]
    name = _REQUESTS[topic]
    payload = {RECORD_KEYS[topic]: record_id, "run_id": run_id}
    return new_event(name, payload, event_id=event_id(run_id, name, record_id, record_id))


def linked_targets(officers: Sequence[Mapping[str, Any]], organisations: Sequence[Mapping[str, Any]]) -> list[Target]:
    """The employers, then the assessors, of ``EligibleLearners.linked_records``'s answer, each once, by id."""
    employers = sorted({str(row["id"]) for row in organisations})
    assessors = sorted({str(row["id"]) for row in officers})
    return [(EMPLOYERS, i) for i in employers] + [(ASSESSORS, i) for i in assessors]


def linked(eligible: EligibleLearners, learner_idents: Iterable[str]) -> list[Target]:
    """The employers and assessors in SA that these learners are linked to (D1), each once."""
    officers, organisations = eligible.linked_records(list(learner_idents))
    return linked_targets(officers, organisations)


def ensure_request_topics(config: RuntimeConfig) -> None:
    """The push topics exist before a run sends to them (a fresh deployment has not created them yet)."""
    ensure_topics(kafka_settings(config), [config.topic_prefix + t for t in TOPICS.values()], topic_layout(config))


class ReconcileRequests:
    """Sends one run's reconcile requests and counts them by entity, on the run's producer (so one flush before
    a checkpoint covers them with the run's other events)."""

    def __init__(self, producer: EventProducer, run_id: int) -> None:
        self.producer, self.run_id = producer, run_id
        self.sent: Counter[str] = Counter()

    def send(self, target: Target) -> None:
        """Queue the request about ``target`` (``flush`` waits until the broker has it)."""
        entity, record_id = target
        self.producer.send(TOPICS[entity], record_id, request_event(target, self.run_id))
        self.sent[entity] += 1

    def flush(self) -> None:
        """Every request queued is on Kafka."""
        self.producer.flush()

    def figures(self) -> dict[str, int]:
        """The run summary's counts: ``reconcile_requested`` (learners), ``…_employers``, ``…_assessors``."""
        return {FIGURES[entity]: self.sent[entity] for entity in ENTITIES}
