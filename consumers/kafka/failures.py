"""A Kafka exception that escaped a command, in our words: its code and what to check, for the CLI's boundary.

librdkafka's own text is not repeated (its log lines carry it, ``client_log``): the code says what
went wrong, the hint which setting to look at.
"""

from __future__ import annotations

from confluent_kafka import KafkaError, KafkaException

from consumers.kafka.errors import AUTHENTICATION_FAILED, stops

UNREACHABLE = "the broker did not answer: check PICS_SYNC_KAFKA_BOOTSTRAP_SERVERS and that the broker is up"
_UNREACHABLE_CODES = frozenset({KafkaError._TRANSPORT, KafkaError._ALL_BROKERS_DOWN, KafkaError._TIMED_OUT,
                                KafkaError._RESOLVE})  # fmt: skip


def describe(failed: BaseException) -> str | None:
    """``Kafka: <code>: <what to check>`` for a ``KafkaException``; None for anything else."""
    if not isinstance(failed, KafkaException):
        return None
    error = failed.args[0] if failed.args else None
    if not isinstance(error, KafkaError):
        return "Kafka: the client failed (see the log)"
    return f"Kafka: {error.name()}: {_hint(error)}"


def _hint(error: KafkaError) -> str:
    if error.code() in _UNREACHABLE_CODES:
        return UNREACHABLE
    if stops(error) and not error.fatal():
        return AUTHENTICATION_FAILED
    return "librdkafka's code for it; the log holds its words"
