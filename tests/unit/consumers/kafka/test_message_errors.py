"""A consumed message's error: passed over with one log line unless it stops the consumer (fatal, a refused login)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog
from confluent_kafka import KafkaError, Message, TopicPartition
from structlog.testing import capture_logs

from consumers.kafka import consumer as kafka
from consumers.kafka import errors, ranges
from consumers.kafka.errors import raise_for_msg_error
from sync_core.errors import FatalError

TOPIC = "pics.learner"


@pytest.fixture(autouse=True)
def fresh_logger(monkeypatch: pytest.MonkeyPatch) -> None:
    """A logger not yet bound: an earlier test's configure_logging caches the module's on first use."""
    monkeypatch.setattr(errors, "log", structlog.get_logger("pics_sync.kafka"))


def failed(code: int, *, fatal: bool = False, retriable: bool = False) -> Message:
    """An error event as ``consume`` returns it."""
    return Message(topic=TOPIC, partition=0, error=KafkaError(code, "broker said no", fatal=fatal, retriable=retriable))


def event(offset: int, key: bytes = b"L0001") -> Message:
    """A message that holds an event."""
    return Message(topic=TOPIC, partition=0, offset=offset, key=key, value=b"\xc3\x01avro")


PASSED_OVER = [
    pytest.param(KafkaError.UNKNOWN_TOPIC_OR_PART, {}, id="unknown-topic-after-an-acl-change"),
    pytest.param(KafkaError._TRANSPORT, {}, id="broker-connection-lost"),
    pytest.param(KafkaError.TOPIC_AUTHORIZATION_FAILED, {}, id="authorisation-refused-acls-change-at-run-time"),
    pytest.param(KafkaError._MAX_POLL_EXCEEDED, {}, id="left-the-group-rejoins"),
    pytest.param(KafkaError.NOT_LEADER_FOR_PARTITION, {"retriable": True}, id="retriable"),
    pytest.param(KafkaError._UNKNOWN_PARTITION, {}, id="any-other-not-fatal"),
]


@pytest.mark.parametrize(("code", "flags"), PASSED_OVER)
def test_a_non_fatal_error_is_logged_once_by_name_and_passed_over(code: int, flags: dict[str, bool]) -> None:
    """The error is returned for the caller to pass over, with one warning line naming it."""
    with capture_logs() as logs:
        error = raise_for_msg_error(failed(code, **flags))
    assert error is not None and error.code() == code
    assert [(line["event"], line["log_level"], line["code"]) for line in logs] == [
        ("kafka.message_error", "warning", KafkaError(code).name())
    ]


@pytest.mark.parametrize(
    ("code", "flags"),
    [
        pytest.param(KafkaError._FATAL, {"fatal": True}, id="librdkafka-fatal"),
        pytest.param(KafkaError.UNKNOWN_TOPIC_OR_PART, {"fatal": True}, id="any-code-marked-fatal"),
        pytest.param(KafkaError._AUTHENTICATION, {}, id="refused-login"),
        pytest.param(KafkaError.SASL_AUTHENTICATION_FAILED, {}, id="broker-refused-sasl-login"),
    ],
)
def test_a_fatal_error_or_a_refused_login_stops(code: int, flags: dict[str, bool]) -> None:
    """A client that cannot go on, or credentials that will be refused again, raise FatalError."""
    with pytest.raises(FatalError, match=KafkaError(code).name()):
        raise_for_msg_error(failed(code, **flags))


def test_partition_eof_is_passed_over_without_a_line() -> None:
    """Partition EOF is what a replay asks for: returned, not logged."""
    with capture_logs() as logs:
        error = raise_for_msg_error(failed(KafkaError._PARTITION_EOF))
    assert error is not None and error.code() == KafkaError._PARTITION_EOF
    assert logs == []


def test_a_message_is_no_error() -> None:
    """A message holding an event gives None."""
    assert raise_for_msg_error(event(0)) is None


class Batches:
    """A consumer whose ``consume`` hands out these batches, then nothing."""

    def __init__(self, *batches: list[Message]) -> None:
        self._batches: Iterator[list[Message]] = iter(batches)

    def consume(self, num_messages: int = 1, timeout: float = -1) -> list[Message]:
        return next(self._batches, [])

    def assign(self, partitions: list[TopicPartition]) -> None:
        return None

    def unassign(self) -> None:
        return None


def test_the_live_poll_passes_an_error_over_and_keeps_the_events_around_it() -> None:
    """An UNKNOWN_TOPIC_OR_PART in a batch neither ends the poll nor loses the events beside it."""
    batch = [event(7), failed(KafkaError.UNKNOWN_TOPIC_OR_PART), event(8)]
    with capture_logs():
        deliveries = kafka.poll(Batches(batch), 500, 0.0)  # type: ignore[arg-type]
    assert [d.source.offset for d in deliveries] == [7, 8]


def test_the_live_poll_stops_on_a_fatal_error() -> None:
    """A fatal error in a batch raises FatalError, so the loop stops and commits nothing past it."""
    with pytest.raises(FatalError):
        kafka.poll(Batches([event(7), failed(KafkaError._FATAL, fatal=True)]), 500, 0.0)  # type: ignore[arg-type]


def test_a_replay_range_reads_past_an_error_to_its_end() -> None:
    """Replay's read passes a transport error over and reads the range to its end (partition EOF)."""
    consumer = Batches([event(0), failed(KafkaError._TRANSPORT)], [event(1), failed(KafkaError._PARTITION_EOF)])
    with capture_logs():
        read = list(ranges.read_partition(consumer, TOPIC, 0, (0, 5), idle_timeout=5.0))  # type: ignore[arg-type]
    assert [d.source.offset for d in read] == [0, 1]
