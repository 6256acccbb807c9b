"""Kafka client errors are logged as structured lines, and a refused login says which settings to check."""

from __future__ import annotations

from typing import Any

import pytest
import structlog
from confluent_kafka import KafkaError, KafkaException
from structlog.testing import capture_logs

from consumers.kafka import clients, errors
from consumers.kafka.clients import client_settings, consumer_config, ensure_topics
from consumers.kafka.errors import AUTHENTICATION_FAILED, ErrorLog
from sync_core.config import TopicLayout
from sync_core.errors import ConfigurationError

SASL = {
    "bootstrap.servers": "kafka-1:9092",
    "security.protocol": "SASL_PLAINTEXT",
    "sasl.mechanism": "PLAIN",
    "sasl.username": "pics-sync",
    "sasl.password": "sasl-s3cret",
}
REFUSED = "sasl_plaintext://kafka-1:9092/bootstrap: SASL authentication error: Invalid username or password"
DOWN = "Failed to get metadata: Local: Broker transport failure"


@pytest.fixture(autouse=True)
def fresh_logger(monkeypatch: pytest.MonkeyPatch) -> None:
    """A logger not yet bound: an earlier test's configure_logging caches the module's on first use."""
    monkeypatch.setattr(errors, "log", structlog.get_logger("pics_sync.kafka"))


@pytest.mark.parametrize(
    "code",
    [
        pytest.param(KafkaError._AUTHENTICATION, id="librdkafka-authentication"),
        pytest.param(KafkaError.SASL_AUTHENTICATION_FAILED, id="broker-sasl-authentication-failed"),
        pytest.param(KafkaError.UNSUPPORTED_SASL_MECHANISM, id="broker-unsupported-mechanism"),
    ],
)
def test_refused_login_logs_the_error_and_which_settings_to_check(code: int) -> None:
    """The client's error_cb logs kafka.error and a kafka.authentication_failed line naming the SASL variables."""
    error_cb = client_settings(SASL)["error_cb"]
    with capture_logs() as logs:
        error_cb(KafkaError(code, REFUSED))
    assert [(line["event"], line["log_level"]) for line in logs] == [
        ("kafka.error", "warning"),
        ("kafka.authentication_failed", "error"),
    ]
    assert logs[0]["code"] == KafkaError(code).name() and logs[0]["reason"] == REFUSED
    for variable in ("USERNAME", "PASSWORD", "MECHANISM"):
        assert f"PICS_SYNC_KAFKA_SASL_{variable}" in logs[1]["hint"]
    assert "sasl-s3cret" not in repr(logs)
    assert error_cb.refused


def test_other_errors_are_one_line_without_the_login_hint() -> None:
    """A broker that is down is a kafka.error line with its code name, and not a refused login."""
    error_cb = ErrorLog()
    with capture_logs() as logs:
        error_cb(KafkaError(KafkaError._TRANSPORT, DOWN))
    assert logs == [
        {"event": "kafka.error", "log_level": "warning", "code": "_TRANSPORT", "reason": DOWN, "fatal": False}
    ]
    assert not error_cb.refused


def test_a_repeated_error_is_logged_once_a_window() -> None:
    """librdkafka's retries of a refused login give one pair of lines per window, not three a second."""
    once, always = ErrorLog(every_s=60.0), ErrorLog(every_s=0.0)
    with capture_logs() as logs:
        for error_cb in (once, always):
            for _ in range(3):
                error_cb(KafkaError(KafkaError._AUTHENTICATION, REFUSED))
    assert len(logs) == 2 + 6


def test_every_client_gets_the_error_callback_unless_given_its_own() -> None:
    """Consumers (and through client_settings producers and admin clients) log their errors; an explicit error_cb wins."""
    assert isinstance(consumer_config("kafka-1:9092", "group")["error_cb"], ErrorLog)
    own = print
    assert consumer_config(SASL, "group", error_cb=own)["error_cb"] is own


class _Admin:
    """An AdminClient whose metadata call fails, with ``pending`` errors waiting for a poll."""

    pending: tuple[KafkaError, ...] = ()

    def __init__(self, settings: dict[str, Any]) -> None:
        self.error_cb = settings["error_cb"]

    def list_topics(self, timeout: float) -> Any:
        raise KafkaException(KafkaError(KafkaError._TRANSPORT, DOWN))

    def poll(self, timeout: float) -> int:
        for error in self.pending:
            self.error_cb(error)
        return len(self.pending)


class _RefusedAdmin(_Admin):
    pending = (KafkaError(KafkaError._AUTHENTICATION, REFUSED),)


class _DownAdmin(_Admin):
    pending = (KafkaError(KafkaError._ALL_BROKERS_DOWN, "1/1 brokers are down"),)


def test_ensure_topics_turns_a_refused_login_into_a_readable_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When the admin call fails after Kafka refused the login, ensure_topics says which settings to check."""
    monkeypatch.setattr(clients, "AdminClient", _RefusedAdmin)
    with capture_logs(), pytest.raises(ConfigurationError) as invalid:
        ensure_topics(SASL, ["pics.learner"], TopicLayout(partitions=3))
    assert str(invalid.value) == AUTHENTICATION_FAILED
    assert "sasl-s3cret" not in str(invalid.value)


def test_ensure_topics_passes_other_failures_through(monkeypatch: pytest.MonkeyPatch) -> None:
    """A broker that is down is still Kafka's own exception, not a configuration error."""
    monkeypatch.setattr(clients, "AdminClient", _DownAdmin)
    with capture_logs() as logs, pytest.raises(KafkaException):
        ensure_topics(SASL, ["pics.learner"], TopicLayout(partitions=3))
    assert [line["code"] for line in logs] == ["_ALL_BROKERS_DOWN"]
