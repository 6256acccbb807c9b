"""Topics on the real broker: created with the configured layout, and a shorter retention warned about.

Contract: ``ensure_topics`` creates each missing topic with PICS_SYNC_TOPIC_PARTITIONS, _REPLICATION_FACTOR,
_RETENTION_MS (or _DAYS) and _CLEANUP_POLICY; a topic that exists already is left as it is, and one that
keeps events for less than configured is logged (``kafka.topic_retention_short``, naming the topic), since
the README's replays "from T" would find those events gone.
"""

from __future__ import annotations

import uuid

import pytest
import structlog
from confluent_kafka.admin import AdminClient, ConfigResource
from structlog.testing import capture_logs

from consumers.kafka import clients
from consumers.kafka.clients import ensure_topics
from sandbox.stack.local import Stack
from sync_core.config import TopicLayout, load_config, topic_layout

pytestmark = pytest.mark.integration

DAY_MS = 86_400_000


@pytest.fixture(autouse=True)
def fresh_logger(monkeypatch: pytest.MonkeyPatch) -> None:
    """A logger not yet bound: an earlier test's configure_logging caches the module's on first use."""
    monkeypatch.setattr(clients, "log", structlog.get_logger("pics_sync.kafka"))


def described(bootstrap: str, topic: str) -> tuple[int, dict[str, str]]:
    """The topic's partition count and its retention.ms and cleanup.policy, as the broker reports them."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    partitions = len(admin.list_topics(topic, timeout=30).topics[topic].partitions)
    [future] = admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, topic)]).values()
    entries = future.result(30)
    return partitions, {name: entries[name].value for name in ("retention.ms", "cleanup.policy")}


def fresh_topic() -> str:
    return f"topics-{uuid.uuid4().hex[:10]}"


def test_topics_are_created_with_the_configured_layout(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """PICS_SYNC_TOPIC_* decide a new topic's partitions, retention and cleanup policy; replicas the broker's default."""
    monkeypatch.setenv("PICS_SYNC_TOPIC_PARTITIONS", "4")
    monkeypatch.setenv("PICS_SYNC_TOPIC_RETENTION_DAYS", "45")
    monkeypatch.setenv("PICS_SYNC_TOPIC_CLEANUP_POLICY", "compact,delete")
    topic = fresh_topic()

    ensure_topics(stack.kafka_bootstrap, [topic], topic_layout(load_config()))

    assert described(stack.kafka_bootstrap, topic) == (
        4,
        {"retention.ms": str(45 * DAY_MS), "cleanup.policy": "compact,delete"},
    )


def test_the_default_layout_keeps_thirty_days(stack: Stack) -> None:
    """Unconfigured, a topic keeps 30 days of events with the delete policy (the README's replay window)."""
    topic = fresh_topic()
    ensure_topics(stack.kafka_bootstrap, [topic], topic_layout(load_config()))
    assert described(stack.kafka_bootstrap, topic) == (
        6,
        {"retention.ms": str(30 * DAY_MS), "cleanup.policy": "delete"},
    )


def test_an_existing_topic_with_a_shorter_retention_is_warned_about(stack: Stack) -> None:
    """A topic kept 1 day while 30 are configured is logged by name and left as it is; a longer one is not."""
    short, long = fresh_topic(), fresh_topic()
    ensure_topics(stack.kafka_bootstrap, [short], TopicLayout(partitions=1, retention_ms=DAY_MS))
    ensure_topics(stack.kafka_bootstrap, [long], TopicLayout(partitions=1, retention_ms=60 * DAY_MS))

    with capture_logs() as logs:
        ensure_topics(stack.kafka_bootstrap, [short, long], TopicLayout(partitions=1))

    warned = [line for line in logs if line["event"] == "kafka.topic_retention_short"]
    assert warned == [
        {
            "event": "kafka.topic_retention_short",
            "log_level": "warning",
            "topic": short,
            "retention_ms": DAY_MS,
            "configured_ms": 30 * DAY_MS,
        }
    ]
    assert described(stack.kafka_bootstrap, short)[1]["retention.ms"] == str(DAY_MS)
