"""Where a group stands on its topics, and who owns which partition (``pics-sync status``), asked without joining it."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, NamedTuple

from confluent_kafka import Consumer, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient

from consumers.kafka.clients import Kafka, client_settings
from consumers.kafka.errors import reason_of
from consumers.kafka.ranges import Span, replay_consumer
from sync_core.errors import TransientError


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
        raise TransientError(f"Kafka: {reason_of(failed)}") from None


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
        raise TransientError(f"Kafka: {reason_of(failed)}") from None
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
        raise TransientError(f"Kafka: {reason_of(failed)}") from None
