"""Kafka's errors become ours here once (like Quix's ``raise_for_msg_error``).

A message's error, a client's error callback and a refused login, so the loop above deals in
``TransientError`` / ``FatalError`` only.
"""

from __future__ import annotations

import math
import time

import structlog
from confluent_kafka import KafkaError, Message

from sync_core.errors import FatalError, TransientError

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


def raise_for_msg_error(msg: Message) -> None:
    """Turn a message-level error into our exception tree."""
    error = msg.error()
    if error is None:
        return
    if error.fatal():
        raise FatalError(f"Kafka: {error.str()}")
    raise TransientError(f"Kafka: {error.str()}")


def reason_of(failed: Exception) -> str:
    """The broker's words for a failure: librdkafka's message, or the exception's."""
    error = failed.args[0] if failed.args else None
    return error.str() if isinstance(error, KafkaError) else str(failed) or type(failed).__name__
