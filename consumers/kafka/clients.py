"""The clients: their settings, the consumer and producer we make, and the topics we create (``TopicLayout``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any

import structlog
from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic  # type: ignore[attr-defined]

from consumers.kafka.client_log import CLIENT_LOG
from consumers.kafka.errors import AUTHENTICATION_FAILED, ErrorLog, reason_of
from sync_core.config import TopicLayout
from sync_core.errors import ConfigurationError, PermanentError, TransientError

log = structlog.get_logger("pics_sync.kafka")

Kafka = str | Mapping[str, Any]  # a bootstrap address, or the settings of ``sync_core.config.kafka_settings``
Headers = Sequence[tuple[str, str | bytes | None]]
Failed = Callable[[str, str], None]  # a message the broker did not take: its error's code and librdkafka's words


def client_settings(kafka: Kafka) -> dict[str, Any]:
    """The connection and security settings of any client, with an ``error_cb`` that logs its errors and
    librdkafka's own log through structlog (``client_log``)."""
    settings = {"bootstrap.servers": kafka} if isinstance(kafka, str) else dict(kafka)
    return {"error_cb": ErrorLog(), "logger": CLIENT_LOG, **settings}


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


class RawProducer:
    """Sends bytes with a ``make_producer`` producer, waiting for room when its queue is full.

    The broker's refusals arrive later, in delivery reports: they are counted, and ``flush`` raises
    ``TransientError`` if any arrived; ``close`` only waits. A message sent with ``on_failed`` is
    reported to it instead (its code and librdkafka's words), and not counted.
    """

    def __init__(self, kafka: Kafka, **extra: Any) -> None:
        self._producer = make_producer(kafka, **extra)
        self._failed = 0
        self._first_failures: list[str] = []  # the first three, for the message; the rest only counted

    def send(
        self,
        topic: str,
        key: str | bytes | None,
        value: bytes | None,
        headers: Headers = (),
        *,
        wait_s: float | None = None,
        on_failed: Failed | None = None,
    ) -> None:
        """Queue one message. While the local queue is full, let it drain: for as long as it takes, or at
        most ``wait_s`` seconds, then ``TransientError`` (the broker is away). ``PermanentError`` when
        librdkafka refuses the message itself (larger than ``message.max.bytes``, an unknown topic)."""
        report = self._delivered if on_failed is None else partial(_report, on_failed)
        deadline = None if wait_s is None else time.monotonic() + wait_s
        while not self._produced(topic, key, value, list(headers) or None, report):
            if deadline is not None and time.monotonic() >= deadline:
                raise TransientError(f"Kafka: the producer's queue stayed full for {wait_s:g} s")
            self._producer.poll(0.1)  # the local queue is full: let it drain
        self._producer.poll(0)

    def _produced(self, topic: str, key: str | bytes | None, value: bytes | None, headers: Any, report: Any) -> bool:
        try:
            self._producer.produce(topic, key=key, value=value, on_delivery=report, headers=headers)
        except BufferError:
            return False
        except KafkaException as refused:
            raise PermanentError(f"Kafka refused the message: {reason_of(refused)}") from None
        return True

    def flush(self, timeout: float = 60.0) -> None:
        """Wait until every message is acknowledged; ``TransientError`` if any is still queued or was refused."""
        if self._producer.flush(timeout) > 0 or self._failed:
            raise TransientError(f"{self._failed} events not delivered: {self._first_failures}")

    def close(self, timeout: float = 30.0) -> int:
        """Wait up to ``timeout`` for the messages still queued, raising nothing; returns how many are left."""
        return int(self._producer.flush(timeout))

    def _delivered(self, error: KafkaError | None, _msg: Message) -> None:
        if error is not None:
            self._failed += 1
            if len(self._first_failures) < 3:
                self._first_failures.append(error.str())


def _report(on_failed: Failed, error: KafkaError | None, _msg: Message) -> None:
    if error is not None:
        on_failed(error.name(), error.str())


def ensure_topics(kafka: Kafka, topics: Iterable[str], layout: TopicLayout, timeout: float = 30.0) -> None:
    """Create the topics that do not exist yet, laid out as ``layout`` says, and warn (naming the topic) of
    an existing one that keeps events for less than ``layout.retention_ms``: a replay from further back
    would find them gone. ``ConfigurationError`` if the login is refused."""
    errors = ErrorLog()
    settings: dict[str, Any] = {**client_settings(kafka), "error_cb": errors}
    admin = AdminClient(settings)
    try:
        existing = _create_missing(admin, topics, layout, timeout)
        _check_retention(admin, existing, layout, timeout)
    except KafkaException:
        admin.poll(0)  # librdkafka holds a client's errors until it is polled, which an admin call does not do
        if errors.refused:
            raise ConfigurationError(AUTHENTICATION_FAILED) from None
        raise


def _create_missing(admin: AdminClient, topics: Iterable[str], layout: TopicLayout, timeout: float) -> list[str]:
    """Creates the missing topics; returns the ones that were there already."""
    known = admin.list_topics(timeout=timeout).topics
    wanted = list(dict.fromkeys(topics))
    config = {"retention.ms": str(layout.retention_ms), "cleanup.policy": layout.cleanup_policy}
    missing = [
        NewTopic(name, num_partitions=layout.partitions, replication_factor=layout.replication_factor, config=config)
        for name in wanted
        if name not in known
    ]
    if missing:
        futures = admin.create_topics(missing, operation_timeout=timeout)
        for future in futures.values():
            try:
                future.result(timeout)
            except KafkaException as failed:
                if failed.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                    raise
    return [name for name in wanted if name in known]


def _check_retention(admin: AdminClient, topics: Sequence[str], layout: TopicLayout, timeout: float) -> None:
    """Logs ``kafka.topic_retention_short`` for each existing topic that keeps events for less than configured."""
    if not topics:
        return
    resources = [ConfigResource(ConfigResource.Type.TOPIC, name) for name in topics]
    for resource, future in admin.describe_configs(resources, request_timeout=timeout).items():
        try:
            retention = int(future.result(timeout)["retention.ms"].value)
        except KafkaException as failed:  # e.g. no DescribeConfigs ACL: the check is advice, not a reason to stop
            log.warning("kafka.topic_retention_unchecked", topic=resource.name, code=failed.args[0].name())
            continue
        if _shorter(retention, layout.retention_ms):
            log.warning(
                "kafka.topic_retention_short",
                topic=resource.name,
                retention_ms=retention,
                configured_ms=layout.retention_ms,
            )


def _shorter(retention_ms: int, wanted_ms: int) -> bool:
    """Whether a topic's ``retention.ms`` keeps less than ``wanted_ms`` (-1 is for ever)."""
    if retention_ms < 0:
        return False
    return wanted_ms < 0 or retention_ms < wanted_ms
