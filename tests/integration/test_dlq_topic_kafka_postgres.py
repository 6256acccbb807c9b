"""Parked events mirrored to a DLQ topic (PICS_SYNC_DLQ_TOPIC) on the real broker.

Contract: each message that parks, also the later event parked behind it, is copied to the DLQ
topic with its key, its original bytes and headers, and headers saying where it came from and why
it parked; an applied event is not copied. The database's parked events stay what redrive works on.
"""

from __future__ import annotations

import threading

import pytest

from consumers.kafka.clients import RawProducer, ensure_topics, make_consumer
from consumers.kafka.ranges import partitions_of, read_partition, replay_consumer, watermarks
from consumers.loop import ParallelLoop
from consumers.ops.dlq_mirror import EVENT_TYPE, REASON, SOURCE, DlqMirror
from consumers.producer import EventProducer
from consumers.service import Service
from sync_core.config import RuntimeConfig, TopicLayout, kafka_settings
from sync_core.outcome import Kind
from sync_core.pipeline.process import Delivery
from sync_core.pipeline.routes import PUSH_TOPICS
from sync_core.state.settings_repo import SettingsRepository
from tests.learners import BEHIND, PARKED_A1, new_learner, parking_on_unknown_status, send

pytestmark = pytest.mark.integration

PUSH_SETTINGS = {
    "Integration Enabled": "on",
    "Update Learner Demographics Mode": "Push PICS Data to Smart Assessor",
}


def mirrored(config: RuntimeConfig, dlq_topic: str) -> list[Delivery]:
    """Every message on the DLQ topic, partition by partition."""
    with replay_consumer(kafka_settings(config), f"{config.kafka_group_id}-read-dlq") as consumer:
        marks = watermarks(consumer, dlq_topic, partitions_of(consumer, dlq_topic))
        return [
            msg for partition, span in marks.items() for msg in read_partition(consumer, dlq_topic, partition, span)
        ]


def test_parked_events_are_copied_to_the_dlq_topic_with_their_reason(
    config: RuntimeConfig, service: Service, producer: EventProducer
) -> None:
    """A1: an aim closed with an unknown code parks and the edit after it waits behind it; both reach the DLQ topic as sent, the applied enrolment does not."""
    SettingsRepository(service.pool).set_many(PUSH_SETTINGS)
    dlq_topic = config.topic_prefix + "pics-sync.dlq"
    ensure_topics(kafka_settings(config), [dlq_topic], TopicLayout(partitions=1))
    ident = "DLQT0001"
    _enrolled, *sent = send(
        producer, ident, parking_on_unknown_status(service, new_learner(11, ident), "x@example.org")
    )

    mirror = DlqMirror(RawProducer(kafka_settings(config)), dlq_topic)
    consumer = make_consumer(kafka_settings(config), config.kafka_group_id)
    loop = ParallelLoop(consumer, service.ports, concurrency=4, observe=mirror.observe)
    loop.subscribe([config.topic_prefix + t for t in PUSH_TOPICS])
    try:
        tally = loop.run_until_drained(threading.Event(), timeout=60)
    finally:
        consumer.close()
        mirror.close()
    assert (tally.count(Kind.APPLIED), tally.count(Kind.PARKED)) == (1, 2)

    copies = mirrored(config, dlq_topic)
    assert [copy.value for copy in copies] == sent
    assert {copy.source.key for copy in copies} == {ident}
    headers = [dict(copy.headers) for copy in copies]
    assert [h[REASON].decode() for h in headers] == [PARKED_A1, BEHIND]
    assert [h[EVENT_TYPE] for h in headers] == [b"IlrAimClosed", b"LearnerEdited"]
    assert all(h[SOURCE].decode().startswith(config.topic_prefix + "pics.learner/") for h in headers)
