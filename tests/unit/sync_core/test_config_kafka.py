"""``kafka_settings``: the librdkafka security settings every Kafka client is given, from PICS_SYNC_* variables."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from sync_core.config import kafka_settings, load_config
from sync_core.errors import ConfigurationError

SASL = {
    "kafka_security_protocol": "SASL_SSL",
    "kafka_sasl_mechanism": "SCRAM-SHA-512",
    "kafka_sasl_username": "pics-sync",
    "kafka_sasl_password": "sasl-s3cret",
    "kafka_ssl_ca_location": "/etc/kafka/ca.pem",
    "kafka_ssl_certificate_location": "/etc/kafka/client.pem",
    "kafka_ssl_key_location": "/etc/kafka/client.key",
    "kafka_ssl_key_password": "key-s3cret",
}


@pytest.fixture(autouse=True)
def _no_outside_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what a test sets: no PICS_SYNC_* variable of the shell running the tests."""
    for name in [n for n in os.environ if n.startswith("PICS_SYNC_")]:
        monkeypatch.delenv(name)


def test_unset_security_gives_only_bootstrap_and_protocol() -> None:
    """Without security variables a client gets the broker address and PLAINTEXT, and no empty sasl.*/ssl.* key."""
    assert kafka_settings(load_config(kafka_bootstrap_servers="kafka-1:9092,kafka-2:9092")) == {
        "bootstrap.servers": "kafka-1:9092,kafka-2:9092",
        "security.protocol": "PLAINTEXT",
    }


def test_every_security_setting_reaches_the_client_with_secrets_in_clear() -> None:
    """SASL and TLS settings map to librdkafka's names; the two passwords are handed over as plain strings."""
    assert kafka_settings(load_config(**SASL)) == {
        "bootstrap.servers": "127.0.0.1:9092",
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "pics-sync",
        "sasl.password": "sasl-s3cret",
        "ssl.ca.location": "/etc/kafka/ca.pem",
        "ssl.certificate.location": "/etc/kafka/client.pem",
        "ssl.key.location": "/etc/kafka/client.key",
        "ssl.key.password": "key-s3cret",
    }


@pytest.mark.parametrize("show", [repr, str, lambda c: c.model_dump_json()], ids=["repr", "str", "json-dump"])
def test_kafka_passwords_never_show_in_the_config(show: Any) -> None:
    """The SASL and TLS-key passwords are hidden wherever the configuration is printed or dumped."""
    shown = show(load_config(**SASL))
    assert "sasl-s3cret" not in shown and "key-s3cret" not in shown
    assert "pics-sync" in shown  # the username is not a secret


def test_sasl_password_is_read_from_its_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """PICS_SYNC_KAFKA_SASL_PASSWORD_FILE supplies the SASL password (trailing newline dropped) to every client."""
    secret = tmp_path / "kafka-password"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("PICS_SYNC_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("PICS_SYNC_KAFKA_SASL_MECHANISM", "PLAIN")
    monkeypatch.setenv("PICS_SYNC_KAFKA_SASL_USERNAME", "pics-sync")
    monkeypatch.setenv("PICS_SYNC_KAFKA_SASL_PASSWORD_FILE", str(secret))
    config = load_config()
    assert kafka_settings(config)["sasl.password"] == "from-a-file"
    assert "from-a-file" not in repr(config)


@pytest.mark.parametrize(
    ("variable", "value", "allowed"),
    [
        pytest.param("PICS_SYNC_KAFKA_SECURITY_PROTOCOL", "TLS", "SASL_PLAINTEXT", id="unknown-protocol"),
        pytest.param("PICS_SYNC_KAFKA_SASL_MECHANISM", "GSSAPI", "SCRAM-SHA-256", id="unsupported-mechanism"),
    ],
)
def test_invalid_security_value_is_one_readable_line(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, allowed: str
) -> None:
    """An invalid protocol or mechanism stops start-up with one line naming the variable and the values it takes."""
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError) as invalid:
        load_config()
    heading, *problems = str(invalid.value).splitlines()
    assert heading == "invalid configuration:"
    [line] = problems
    assert line.startswith(f"{variable}:") and allowed in line
