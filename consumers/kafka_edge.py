"""The only module that touches confluent_kafka: clients, topics, and error translation.

Kafka's errors become ours here once (like Quix's ``raise_for_msg_error``), so the loop above
deals in TransientError / FatalError only.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from datetime import datetime
from typing import Any, NamedTuple

import structlog
from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from consumers.pipeline import Delivery
from sync_core.errors import ConfigurationError, FatalError, TransientError
from sync_core.outcome import Source

Kafka = str | Mapping[str, Any]  # a bootstrap address, or the settings of ``sync_core.config.kafka_settings``

log = structlog.get_logger("pics_sync.kafka")

# A refused login: librdkafka's own code for it, and the broker's SASL answers.
_AUTHENTICATION_CODES = frozenset(
    {
        KafkaError._AUTHENTICATION,
        KafkaError.SASL_AUTHENTICATION_FAILED,
        KafkaError.UNSUPPORTED_SASL_MECHANISM,
        KafkaError.ILLEGAL_SASL_STATE,
    }
)
AUTHENTICATION_FAILED = (
    "Kafka refused the login: check PICS_SYNC_KAFKA_SASL_USERNAME, PICS_SYNC_KAFKA_SASL_PASSWORD"
    " (or PICS_SYNC_KAFKA_SASL_PASSWORD_FILE) and PICS_SYNC_KAFKA_SASL_MECHANISM"
)


class ErrorLog:
    """A client's ``error_cb``: each error a ``kafka.error`` line, and a refused login a clear extra line.

    librdkafka retries a refused login about three times a second, so a code logged in the last
    ``every_s`` seconds is not logged again. The lines hold the code and librdkafka's message, which
    names the broker but no setting.
    """

    def __init__(self, every_s: float = 60.0) -> None:
        self.every_s = every_s
        self.refused = False  # Kafka refused this client's login at least once
        self._logged: dict[int, float] = {}  # code → when it was last logged

    def __call__(self, error: KafkaError) -> None:
        code = error.code()
        self.refused = self.refused or code in _AUTHENTICATION_CODES
        now = time.monotonic()
        if now < self._logged.get(code, -math.inf) + self.every_s:
            return
        self._logged[code] = now
        log.warning("kafka.error", code=error.name(), reason=error.str(), fatal=error.fatal())
        if code in _AUTHENTICATION_CODES:
            log.error("kafka.authentication_failed", code=error.name(), hint=AUTHENTICATION_FAILED)


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


def raise_for_msg_error(msg: Message) -> None:
    """Turn a message-level error into our exception tree."""
    error = msg.error()
    if error is None:
        return
    if error.fatal():
        raise FatalError(f"Kafka: {error.str()}")
    raise TransientError(f"Kafka: {error.str()}")


def to_delivery(msg: Message) -> Delivery:
    """The pipeline's view of a message."""
    key = msg.key()
    source = Source(
        topic=str(msg.topic()),
        partition=int(msg.partition() or 0),
        offset=int(msg.offset() or 0),
        key=key.decode("utf-8", "replace") if isinstance(key, bytes) else key,
    )
    raw = msg.headers() or ()
    pairs = raw.items() if isinstance(raw, dict) else raw
    headers = tuple((name, value.encode() if isinstance(value, str) else value) for name, value in pairs)
    return Delivery(source=source, value=msg.value(), headers=headers)


def lag(consumer: Consumer, timeout: float = 10.0) -> int:
    """Messages in the assigned partitions past this consumer's position.

    Before a consumer has fetched from a partition its position is unknown; the group's committed
    offset stands in, then the start of the partition. The high watermark comes from the last
    fetch response when there is one; asking the broker costs a round trip per partition.
    """
    assignment = list(consumer.assignment())
    committed = {(tp.topic, tp.partition): tp.offset for tp in consumer.committed(assignment, timeout=timeout)}
    total = 0
    for tp in consumer.position(assignment):
        low, high = consumer.get_watermark_offsets(tp, cached=True)
        if high < 0:
            low, high = consumer.get_watermark_offsets(tp, timeout=timeout, cached=False)
        at = next(o for o in (tp.offset, committed.get((tp.topic, tp.partition), -1), low) if o >= 0)
        total += max(0, high - at)
    return total


# --- Replay: reading a range of offsets with a consumer that commits nothing (consumers.replay) ---

Span = tuple[int, int]  # [start, end) offsets of one partition, or its (low, high) watermarks


@contextmanager
def replay_consumer(kafka: Kafka, group_id: str) -> Iterator[Consumer]:
    """A consumer for explicit ``assign`` only: it joins no group and commits nothing (the live group is untouched)."""
    consumer = Consumer(
        consumer_config(
            kafka,
            group_id,
            **{"enable.auto.commit": False, "enable.partition.eof": True, "auto.offset.reset": "earliest"},
        )
    )
    try:
        yield consumer
    finally:
        consumer.close()


def partitions_of(consumer: Consumer, topic: str, timeout: float = 10.0) -> list[int]:
    """The partition numbers of ``topic``; a ``ConfigurationError`` when the broker has no such topic."""
    found = consumer.list_topics(topic, timeout=timeout).topics.get(topic)
    if found is None or found.error is not None or not found.partitions:
        raise ConfigurationError(f"no topic {topic!r} on the broker")
    return sorted(found.partitions)


def watermarks(consumer: Consumer, topic: str, partitions: Iterable[int], timeout: float = 10.0) -> dict[int, Span]:
    """Partition → (low, high): its first offset and the offset the next message will get."""
    return {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=timeout) for p in partitions}


def offsets_at(
    consumer: Consumer, topic: str, partitions: Iterable[int], when: datetime, timeout: float = 10.0
) -> dict[int, int | None]:
    """Partition → the first offset whose timestamp is at or after ``when`` (None: no such message yet)."""
    millis = int(when.timestamp() * 1000)
    found = consumer.offsets_for_times([TopicPartition(topic, p, millis) for p in partitions], timeout=timeout)
    return {tp.partition: (tp.offset if tp.offset >= 0 else None) for tp in found}


def read_partition(
    consumer: Consumer, topic: str, partition: int, span: Span, idle_timeout: float = 60.0
) -> Iterator[Delivery]:
    """The messages of one partition with offsets in ``span`` = [start, end), in offset order."""
    start, end = span
    if start >= end:
        return
    consumer.assign([TopicPartition(topic, partition, start)])
    try:
        yield from _until(consumer, end, idle_timeout)
    finally:
        consumer.unassign()


def _until(consumer: Consumer, end: int, idle_timeout: float) -> Iterator[Delivery]:
    idle_since = time.monotonic()
    while time.monotonic() - idle_since < idle_timeout:
        for msg in consumer.consume(500, timeout=0.5):
            error = msg.error()
            if error is not None and error.code() == KafkaError._PARTITION_EOF:
                return  # read to the end: nothing of the range is left
            raise_for_msg_error(msg)
            if int(msg.offset() or 0) >= end:
                return
            yield to_delivery(msg)
            if int(msg.offset() or 0) >= end - 1:
                return
            idle_since = time.monotonic()
    raise TransientError(f"Kafka: nothing read for {idle_timeout:.0f} s before offset {end}")


def committed_offsets(kafka: Kafka, group_id: str, topic: str, timeout: float = 10.0) -> dict[int, int]:
    """Partition → the offset ``group_id`` has committed on ``topic`` (negative: none); joins no group."""
    with replay_consumer(kafka, group_id) as consumer:
        partitions = [TopicPartition(topic, p) for p in partitions_of(consumer, topic, timeout)]
        return {tp.partition: tp.offset for tp in consumer.committed(partitions, timeout=timeout)}


# --- Status: where a group stands on its topics, and who owns which partition (consumers.status) ---


def group_offsets(
    kafka: Kafka, group_id: str, topics: Iterable[str], timeout: float = 5.0
) -> dict[tuple[str, int], tuple[int, Span]]:
    """(topic, partition) → (the offset ``group_id`` has committed, negative: none; the (low, high) watermarks).

    Topics the broker does not have are left out. Joins no group; a broker that does not answer in
    ``timeout`` is a ``TransientError``.
    """
    try:
        with replay_consumer(kafka, group_id) as consumer:
            known = consumer.list_topics(timeout=timeout).topics  # all topics: asking for one may auto-create it
            wanted = [t for t in topics if t in known and known[t].error is None]
            partitions = [TopicPartition(t, p) for t in wanted for p in sorted(known[t].partitions)]
            committed = consumer.committed(partitions, timeout=timeout) if partitions else []
            return {
                (tp.topic, tp.partition): (tp.offset, consumer.get_watermark_offsets(tp, timeout=timeout))
                for tp in committed
            }
    except KafkaException as failed:
        raise TransientError(f"Kafka: {_reason(failed)}") from None


class GroupMember(NamedTuple):
    """A member of a consumer group as the group's coordinator sees it."""

    member_id: str
    client_id: str
    host: str
    partitions: tuple[tuple[str, int], ...]  # (topic, partition) assigned to it, sorted


def group_members(kafka: Kafka, group_id: str, timeout: float = 5.0) -> tuple[str, list[GroupMember]]:
    """The group's state as its coordinator says it (stable, empty, dead: no such group …) and its members.

    Asked of the broker, so it reads a running consumer's assignment without touching that consumer.
    """
    admin = AdminClient(client_settings(kafka))
    try:
        found = admin.describe_consumer_groups([group_id], request_timeout=timeout)[group_id].result(timeout)
    except (KafkaException, FutureTimeout) as failed:
        raise TransientError(f"Kafka: {_reason(failed)}") from None
    members = [
        GroupMember(m.member_id, m.client_id, m.host, tuple(sorted((tp.topic, tp.partition) for tp in _assigned(m))))
        for m in found.members
    ]
    return found.state.name.lower(), sorted(members, key=lambda m: (m.host, m.member_id))


def _assigned(member: Any) -> list[TopicPartition]:
    return list(member.assignment.topic_partitions or []) if member.assignment else []


def assigned(consumer: Consumer) -> list[tuple[str, int]]:
    """(topic, partition) of every partition assigned to ``consumer``, sorted; none once it is closed.

    Call it from the thread that polls: from any other thread it waits until the polling stops
    (seen with confluent-kafka 2.16 and a loop polling every 50 ms). ``group_members`` asks the
    broker instead and is safe from anywhere.
    """
    try:
        return sorted((tp.topic, tp.partition) for tp in consumer.assignment())
    except RuntimeError:  # the consumer is closed
        return []
    except KafkaException as failed:
        raise TransientError(f"Kafka: {_reason(failed)}") from None


def _reason(failed: Exception) -> str:
    error = failed.args[0] if failed.args else None
    return error.str() if isinstance(error, KafkaError) else str(failed) or type(failed).__name__
