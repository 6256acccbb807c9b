"""The Kafka edge and the long-running services: everything that knows Kafka, and the operator surfaces.

| path | holds |
| --- | --- |
| ``kafka/`` | the only package that imports confluent_kafka |
| ``loop``, ``ordering``, ``leases`` | the consume loop, its broker-free ordering and watermarks, its partition leases |
| ``producer``, ``service``, ``heartbeat``, ``metrics``, ``progress`` | publishing, wiring, liveness, numbers |
| ``ops/`` | replay, redrive, status, the daily pull producer, the DLQ mirror |
| ``web/``, ``cli/`` | the console and health port, the ``pics-sync`` command |

Uses ``sync_core``; never ``sandbox``, but for the ``demo``, ``bench`` and ``sandbox`` commands,
which import it lazily (lint checks both).
"""
