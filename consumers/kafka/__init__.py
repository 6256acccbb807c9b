"""The Kafka edge: the only package that imports confluent_kafka (lint bans it everywhere else).

Kafka's errors become ours here once; the loop, the producer and the operator tools above it deal
in ``Delivery`` values, (topic, partition) pairs and our exception tree.

| module | holds |
| --- | --- |
| ``clients`` | client settings, ``make_consumer``, ``make_producer``, ``RawProducer``, ``ensure_topics`` |
| ``errors`` | ``raise_for_msg_error``, the clients' error callback, a refused login |
| ``messages`` | a message as a ``Delivery``; the live consumer's offsets, pauses and lag |
| ``ranges`` | replay's reads of explicit offset ranges, with a consumer that commits nothing |
| ``groups`` | a group's committed offsets and members, for ``status`` |
"""
