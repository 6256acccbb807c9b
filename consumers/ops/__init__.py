"""The operator's tools: replay, redrive, status, the daily pull producer and the DLQ mirror.

They run the same pipeline (``sync_core.pipeline``) as the live loop, with a run mode of their own,
and reach Kafka only through ``consumers.kafka``.
"""
