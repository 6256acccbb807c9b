"""The live consumer as the loop drives it: batches of deliveries, (topic, partition) pairs, offsets to store.

The loop (``consumers.loop``) keeps its bookkeeping in plain values; this module turns them into
librdkafka's ``TopicPartition`` and back, so the loop imports nothing of confluent_kafka.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import structlog
from confluent_kafka import Consumer, TopicPartition

from consumers.kafka.errors import raise_for_msg_error
from consumers.kafka.messages import to_delivery
from sync_core.pipeline.process import Delivery

__all__ = ["Consumer", "Partition", "commit", "pause", "poll", "resume", "store", "subscribe"]

Partition = tuple[str, int]  # (topic, partition)
log = structlog.get_logger("pics_sync.kafka")


def poll(consumer: Consumer, batch_size: int, timeout: float) -> list[Delivery]:
    """Up to ``batch_size`` deliveries, waiting at most ``timeout`` for them.

    An error in the batch is logged and passed over, the client recovering by itself; one that stops
    raises ``FatalError`` (``consumers.kafka.errors``).
    """
    batch = consumer.consume(batch_size, timeout=timeout)
    return [to_delivery(msg) for msg in batch if raise_for_msg_error(msg) is None]


def store(consumer: Consumer, offsets: Mapping[Partition, int]) -> None:
    """Store these offsets for the next (auto-)commit."""
    if offsets:
        consumer.store_offsets(offsets=[TopicPartition(t, p, o) for (t, p), o in offsets.items()])


def pause(consumer: Consumer, partitions: Iterable[Partition] | None = None) -> list[Partition]:
    """Pause these partitions (every assigned one when None); returns them, for ``resume``."""
    chosen = list(consumer.assignment()) if partitions is None else [TopicPartition(t, p) for t, p in partitions]
    consumer.pause(chosen)
    return [(tp.topic, tp.partition) for tp in chosen]


def resume(consumer: Consumer, partitions: Iterable[Partition]) -> None:
    """Resume fetching from these partitions."""
    consumer.resume([TopicPartition(t, p) for t, p in partitions])


def subscribe(
    consumer: Consumer,
    topics: list[str],
    on_revoke: Callable[[list[Partition]], None],
    on_lost: Callable[[list[Partition]], None] | None = None,
    on_assign: Callable[[list[Partition]], None] | None = None,
) -> None:
    """Subscribe; ``on_revoke`` hears of partitions revoked before they go, ``on_lost`` (``on_revoke`` when
    None) of partitions lost, that another member may hold already, ``on_assign`` of partitions about to be
    assigned (they are, once the poll that called it returns)."""

    def assigned(_consumer: Consumer, partitions: list[TopicPartition]) -> None:
        if on_assign is not None:
            on_assign([(tp.topic, tp.partition) for tp in partitions])

    def revoked(_consumer: Consumer, partitions: list[TopicPartition]) -> None:
        on_revoke([(tp.topic, tp.partition) for tp in partitions])

    def lost(_consumer: Consumer, partitions: list[TopicPartition]) -> None:
        (on_lost or on_revoke)([(tp.topic, tp.partition) for tp in partitions])

    consumer.subscribe(topics, on_assign=assigned, on_revoke=revoked, on_lost=lost)


def commit(consumer: Consumer) -> None:
    """Commit the stored offsets now; nothing stored, or a group that moved on, is only logged."""
    try:
        consumer.commit(asynchronous=False)
    except Exception as failed:
        log.info("consumer.commit_skipped", reason=str(failed))
