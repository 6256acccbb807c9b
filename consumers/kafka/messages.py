"""A consumed message as the pipeline sees it (a ``Delivery``), and how far a consumer lags."""

from __future__ import annotations

from confluent_kafka import Consumer, Message

from sync_core.outcome import Source
from sync_core.pipeline import keys
from sync_core.pipeline.process import Delivery


def to_delivery(msg: Message) -> Delivery:
    """The pipeline's view of a message; a key that is no clean text is kept in hex (``sync_core.pipeline.keys``)."""
    source = Source(
        topic=str(msg.topic()),
        partition=int(msg.partition() or 0),
        offset=int(msg.offset() or 0),
        key=keys.as_text(msg.key()),
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
