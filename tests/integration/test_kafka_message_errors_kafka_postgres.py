"""A non-fatal error the real broker hands the consumer among its messages is logged and passed over.

Contract: a consumer subscribed to a topic the broker does not show it (as a topic looks once an ACL
change hides it) gets librdkafka's UNKNOWN_TOPIC_OR_PART error from ``consume``. The live loop logs
one ``kafka.message_error`` line naming it and goes on: the events of the other topics are applied.
Before, the error was raised as a TransientError out of the loop and ended ``pics-sync run``.
"""

from __future__ import annotations

import pytest
import structlog
from structlog.testing import capture_logs

from consumers.kafka import errors
from consumers.kafka.clients import make_consumer
from consumers.loop import ParallelLoop
from consumers.producer import EventProducer
from consumers.service import Service
from sync_core.config import RuntimeConfig, kafka_settings
from sync_core.outcome import Kind
from sync_core.pipeline.routes import PUSH_TOPICS
from sync_core.state.settings_repo import SettingsRepository
from tests.learners import enrolment, new_learner, send
from tests.support import wait_until

pytestmark = pytest.mark.integration


def test_an_unknown_topic_error_is_logged_and_the_consumer_goes_on(
    config: RuntimeConfig, service: Service, producer: EventProducer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """UNKNOWN_TOPIC_OR_PART from the broker is one warning line; the enrolment on pics.learner is still applied."""
    monkeypatch.setattr(errors, "log", structlog.get_logger("pics_sync.kafka"))  # not one cached by an earlier test
    SettingsRepository(service.pool).set_many({"Integration Enabled": "on"})
    ident = "KERR0001"
    send(producer, ident, [enrolment(service, new_learner(17, ident))])
    consumer = make_consumer(kafka_settings(config), config.kafka_group_id)
    loop = ParallelLoop(consumer, service.ports, concurrency=2)
    loop.subscribe([config.topic_prefix + t for t in PUSH_TOPICS] + [config.topic_prefix + "pics.hidden-by-acl"])

    def applied_and_logged() -> bool:
        loop.poll_once()  # the error, raised out of here, ended the loop before
        return bool(loop.tally.count(Kind.APPLIED) and _named(logs))

    with capture_logs() as logs:
        try:
            wait_until(applied_and_logged, timeout=60, interval=0.0)
        finally:
            loop.shutdown()
            consumer.close()
    assert loop.tally.count(Kind.APPLIED) == 1
    [line] = _named(logs)
    assert (line["log_level"], line["topic"]) == ("warning", config.topic_prefix + "pics.hidden-by-acl")


def _named(logs: list[dict[str, object]]) -> list[dict[str, object]]:
    return [line for line in logs if line["event"] == "kafka.message_error" and line["code"] == "UNKNOWN_TOPIC_OR_PART"]
