"""ensure_topics' retention check without a broker: what counts as shorter, and a topic it may not describe."""

from __future__ import annotations

from concurrent.futures import Future
from types import SimpleNamespace
from typing import Any

import pytest
import structlog
from confluent_kafka import KafkaError, KafkaException
from structlog.testing import capture_logs

from consumers.kafka import clients
from consumers.kafka.clients import ensure_topics
from sync_core.config import TopicLayout

DAY_MS = 86_400_000


@pytest.fixture(autouse=True)
def fresh_logger(monkeypatch: pytest.MonkeyPatch) -> None:
    """A logger not yet bound: an earlier test's configure_logging caches the module's on first use."""
    monkeypatch.setattr(clients, "log", structlog.get_logger("pics_sync.kafka"))


@pytest.mark.parametrize(
    ("retention_ms", "wanted_ms", "shorter"),
    [
        pytest.param(DAY_MS, 30 * DAY_MS, True, id="a-day-of-thirty"),
        pytest.param(30 * DAY_MS, 30 * DAY_MS, False, id="as-configured"),
        pytest.param(60 * DAY_MS, 30 * DAY_MS, False, id="longer"),
        pytest.param(-1, 30 * DAY_MS, False, id="kept-for-ever"),
        pytest.param(60 * DAY_MS, -1, True, id="for-ever-wanted"),
    ],
)
def test_what_counts_as_a_shorter_retention(retention_ms: int, wanted_ms: int, shorter: bool) -> None:
    """-1 keeps for ever: never shorter, and shorter than it is anything finite."""
    assert clients._shorter(retention_ms, wanted_ms) is shorter


class _ForbiddenAdmin:
    """An AdminClient that lists ``pics.learner`` but may not read its configuration (no DescribeConfigs ACL)."""

    def __init__(self, settings: dict[str, Any]) -> None:
        pass

    def list_topics(self, timeout: float) -> Any:
        return SimpleNamespace(topics={"pics.learner": object()})

    def describe_configs(self, resources: list[Any], **_: Any) -> dict[Any, Future[Any]]:
        denied: Future[Any] = Future()
        denied.set_exception(KafkaException(KafkaError(KafkaError.TOPIC_AUTHORIZATION_FAILED, "denied")))
        return {resource: denied for resource in resources}


def test_a_topic_it_may_not_describe_is_logged_not_fatal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without DescribeConfigs rights the retention check is skipped with a warning naming the topic."""
    monkeypatch.setattr(clients, "AdminClient", _ForbiddenAdmin)
    with capture_logs() as logs:
        ensure_topics("kafka-1:9092", ["pics.learner"], TopicLayout())
    assert [(line["event"], line["topic"], line["code"]) for line in logs] == [
        ("kafka.topic_retention_unchecked", "pics.learner", "TOPIC_AUTHORIZATION_FAILED")
    ]
