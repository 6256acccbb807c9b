"""The drift metrics fed by the push consumer's recording, on the real broker, PostgreSQL and SA sandbox (D3).

Contract: when the consumer's drift recorder is a ``DriftLog`` whose ``on_record`` is ``DriftMetrics``
(as ``pics-sync run`` wires it), a reconcile that repairs a learner's SA record counts each field
recorded, once, as found (by action) and as repaired, by entity, field and direction; the next
reconcile, which finds nothing, counts nothing; the figures name fields, never a record or a value.
"""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from consumers.kafka.clients import make_consumer
from consumers.loop import ParallelLoop
from consumers.metrics import DriftMetrics, Metrics
from consumers.producer import EventProducer
from consumers.service import Service
from sync_core.config import RuntimeConfig, kafka_settings
from sync_core.outcome import Kind
from sync_core.pics.learners import LearnerRepository
from sync_core.pipeline.routes import PUSH_TOPICS
from sync_core.serde import new_event
from sync_core.state.drift import DriftLog
from sync_core.state.settings_repo import SettingsRepository
from tests.learners import new_learner

pytestmark = pytest.mark.integration

IDENT = "L-DRIFT-METRICS"
PUSH_SETTINGS = {"Integration Enabled": "on", "Update Learner Demographics Mode": "Push PICS Data to Smart Assessor"}


def reconciled(config: RuntimeConfig, service: Service, producer: EventProducer, drift: DriftMetrics) -> int:
    """One reconcile of the learner through the push consumer, its recorder counted; how many were applied."""
    producer.send("pics.learner", IDENT, new_event("ReconcileRequested", {"learner_ident": IDENT, "run_id": None}))
    producer.flush()
    ports = replace(service.ports, drift=DriftLog(service.pool, on_record=drift.observe).record)
    consumer = make_consumer(kafka_settings(config), config.kafka_group_id)
    loop = ParallelLoop(consumer, ports, concurrency=2)
    loop.subscribe([config.topic_prefix + t for t in PUSH_TOPICS])
    try:
        return loop.run_until_drained(threading.Event(), timeout=60).count(Kind.APPLIED)
    finally:
        consumer.close()


def test_d3_a_repair_by_the_consumer_counts_each_field_once(
    config: RuntimeConfig, service: Service, producer: EventProducer
) -> None:
    """D3: SA holds the learner's name only; the reconcile pushes its other fields, each counted found and
    repaired once; a second reconcile finds nothing and counts nothing."""
    SettingsRepository(service.pool).set_many(PUSH_SETTINGS)
    learner = new_learner(33, IDENT)
    held = service.sa.create_learner({"misId": IDENT, "firstName": learner["first_name"],
                                      "surname": learner["surname"]})  # fmt: skip
    LearnerRepository(service.pool).upsert([{**learner, "smart_assessor_id": held["id"]}])
    metrics = Metrics(CollectorRegistry())
    drift = DriftMetrics(metrics)

    assert reconciled(config, service, producer, drift) == 1
    with service.pool.connection() as conn:
        fields = [r[0] for r in conn.execute("SELECT field FROM sync.drift WHERE pics_id = %s", (IDENT,))]
    labels = {"entity": "learner", "field": "email", "direction": "push"}
    assert "email" in fields and "firstName" not in fields
    assert metrics.registry.get_sample_value("pics_sync_drift_differences_total", {**labels, "action": "pushed"}) == 1
    assert metrics.registry.get_sample_value("pics_sync_drift_repaired_total", labels) == 1
    repaired = [
        metrics.registry.get_sample_value("pics_sync_drift_repaired_total", {**labels, "field": f}) for f in fields
    ]
    assert repaired == [1.0] * len(fields)

    assert reconciled(config, service, producer, drift) == 1  # in step now: nothing found, nothing counted
    assert metrics.registry.get_sample_value("pics_sync_drift_repaired_total", labels) == 1
    scraped = generate_latest(metrics.registry).decode()
    assert IDENT not in scraped and str(held["id"]) not in scraped and learner["email"] not in scraped
