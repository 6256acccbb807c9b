"""Kafka's errors become ours here once (like Quix's ``raise_for_msg_error``).

A message's error, a client's error callback and a refused login, so the loop above deals in
our exception tree only.

What a consumed message's error does (``raise_for_msg_error``), decided by ``stops``:

    error                                            what becomes of it
    fatal (``KafkaError.fatal()``: librdkafka says   FatalError: the consumer stops, commits nothing
      the client cannot go on)
    a refused login (``_AUTHENTICATION``, SASL)      FatalError: the credentials are read at start,
                                                     so every retry is refused again
    partition EOF                                    passed over, not logged: only a replay asks for it
    anything else (UNKNOWN_TOPIC_OR_PART after an    passed over with one ``kafka.message_error`` line:
      ACL change, _TRANSPORT, _MAX_POLL_EXCEEDED,    librdkafka recovers by itself (it refreshes
      an authorisation refused …)                    metadata, reconnects, rejoins) and the next
                                                     poll goes on; an error message holds no event,
                                                     so nothing is skipped

An authorisation refused (TOPIC_AUTHORIZATION_FAILED) is not a stop: ACLs change while the
process runs, and an operator fixing one should not have to restart every consumer.
"""

from __future__ import annotations

import math
import time

import structlog
from confluent_kafka import KafkaError, Message

from sync_core.errors import FatalError

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


def stops(error: KafkaError) -> bool:
    """True for an error no retry will mend: a fatal one, or a refused login (the module docstring's table)."""
    return error.fatal() or error.code() in _AUTHENTICATION_CODES


def raise_for_msg_error(msg: Message) -> KafkaError | None:
    """A consumed message's error: ``FatalError`` when it ``stops``; else returned (logged, but for partition
    EOF) for the caller to pass over; None for a message that holds an event."""
    error = msg.error()
    if error is None:
        return None
    if stops(error):
        hint = AUTHENTICATION_FAILED if error.code() in _AUTHENTICATION_CODES else error.str()
        raise FatalError(f"Kafka: {error.name()}: {hint}")
    if error.code() != KafkaError._PARTITION_EOF:
        log.warning("kafka.message_error", code=error.name(), reason=error.str(), topic=msg.topic())
    return error


def reason_of(failed: Exception) -> str:
    """The broker's words for a failure: librdkafka's message, or the exception's."""
    error = failed.args[0] if failed.args else None
    return error.str() if isinstance(error, KafkaError) else str(failed) or type(failed).__name__
