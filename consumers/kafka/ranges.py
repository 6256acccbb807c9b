"""Reading a range of offsets with a consumer that commits nothing (replay), and a group's committed offsets."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime

from confluent_kafka import Consumer, KafkaError, TopicPartition

from consumers.kafka.clients import Kafka, consumer_config
from consumers.kafka.errors import raise_for_msg_error
from consumers.kafka.messages import to_delivery
from sync_core.errors import ConfigurationError, TransientError
from sync_core.pipeline.process import Delivery

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
            error = raise_for_msg_error(msg)  # passed over when it does not stop: the idle timeout bounds it
            if error is not None and error.code() == KafkaError._PARTITION_EOF:
                return  # read to the end: nothing of the range is left
            if error is not None:
                continue
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
