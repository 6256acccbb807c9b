"""The clients: their settings, the consumer and producer we make, and the topics we create."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from consumers.kafka.errors import AUTHENTICATION_FAILED, ErrorLog
from sync_core.errors import ConfigurationError

Kafka = str | Mapping[str, Any]  # a bootstrap address, or the settings of ``sync_core.config.kafka_settings``


def client_settings(kafka: Kafka) -> dict[str, Any]:
    """The connection and security settings of any client, with an ``error_cb`` that logs its errors."""
    settings = {"bootstrap.servers": kafka} if isinstance(kafka, str) else dict(kafka)
    return {"error_cb": ErrorLog(), **settings}


def consumer_config(kafka: Kafka, group_id: str, **extra: Any) -> dict[str, Any]:
    """Settings for a consumer whose offsets we store by hand once a message is done."""
    return {
        **client_settings(kafka),
        "group.id": group_id,
        "partition.assignment.strategy": "cooperative-sticky",
        "enable.auto.offset.store": False,  # stored only after the outcome is recorded
        "enable.auto.commit": True,
        "auto.commit.interval.ms": 1000,
        "auto.offset.reset": "earliest",
        "enable.partition.eof": False,
        # How long the broker holds a fetch that found nothing. A partition assigned, reset or resumed
        # while one is held waits for the next: librdkafka's 500 ms made a (re)joined consumer's first
        # events wait about a second (BENCHMARKS.md). An idle consumer asks ten times a second instead.
        "fetch.wait.max.ms": 100,
        **extra,
    }


def make_consumer(kafka: Kafka, group_id: str, **extra: Any) -> Consumer:
    """A consumer in ``group_id``."""
    return Consumer(consumer_config(kafka, group_id, **extra))


def make_producer(kafka: Kafka, **extra: Any) -> Producer:
    """An idempotent producer: a retried send never writes an event twice."""
    return Producer(
        {
            **client_settings(kafka),
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": 5,
            **extra,
        }
    )


def ensure_topics(kafka: Kafka, topics: Mapping[str, int], timeout: float = 30.0) -> None:
    """Create the topics (name → partitions) that do not exist yet; ``ConfigurationError`` if the login is refused."""
    errors = ErrorLog()
    settings: dict[str, Any] = {**client_settings(kafka), "error_cb": errors}
    admin = AdminClient(settings)
    try:
        _create_missing(admin, topics, timeout)
    except KafkaException:
        admin.poll(0)  # librdkafka holds a client's errors until it is polled, which an admin call does not do
        if errors.refused:
            raise ConfigurationError(AUTHENTICATION_FAILED) from None
        raise


def _create_missing(admin: AdminClient, topics: Mapping[str, int], timeout: float) -> None:
    existing = admin.list_topics(timeout=timeout).topics
    missing = [
        NewTopic(name, num_partitions=n, replication_factor=1) for name, n in topics.items() if name not in existing
    ]
    if not missing:
        return
    futures = admin.create_topics(missing, operation_timeout=timeout)
    for future in futures.values():
        try:
            future.result(timeout)
        except KafkaException as failed:
            if failed.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise
