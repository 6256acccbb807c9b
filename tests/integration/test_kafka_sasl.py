"""Kafka with SASL: the push path on a broker that accepts only SASL/PLAIN logins.

Contract: with ``PICS_SYNC_KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT``, a mechanism, a username and the
password read from the file named by ``PICS_SYNC_KAFKA_SASL_PASSWORD_FILE``, every Kafka client of
the push path (topic set-up, producer, consumer) logs in, and an enrolment reaches SA as it does on
an open broker. A wrong password is refused at once with an authentication error, and nothing is
read; topic set-up with it stops with a ``ConfigurationError`` naming the SASL settings to check.

The session's broker is open (PLAINTEXT), so this module runs on a SASL broker of its own.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import KafkaError, Message
from pydantic import SecretStr

from consumers.kafka.clients import ensure_topics, make_consumer
from consumers.loop import ParallelLoop
from consumers.producer import EventProducer
from consumers.service import open_service
from sandbox.pics.people import People
from sandbox.sa.process import SaSandboxProcess
from sandbox.stack.kafka_broker import LocalKafka
from sync_core.config import RuntimeConfig, TopicLayout, kafka_settings, load_config
from sync_core.errors import ConfigurationError
from sync_core.outcome import Kind
from sync_core.pics.learners import LearnerRepository
from sync_core.pipeline.routes import PUSH_TOPICS
from sync_core.serde import AvroSerde, new_event
from sync_core.state.settings_repo import SettingsRepository
from tests.support import process_env

pytestmark = pytest.mark.integration

USERNAME, PASSWORD = "pics-sync", "kafka-sasl-s3cret"
REFUSAL_WITHIN_S = 10.0  # librdkafka reports a refused login after one round trip (~0.5 s here)


@pytest.fixture(scope="module")
def sasl_broker() -> Iterator[LocalKafka]:
    """A broker whose only client listener is SASL_PLAINTEXT, accepting one login; removed afterwards."""
    with LocalKafka(sasl_users={USERNAME: PASSWORD}, partitions=3) as kafka:
        yield kafka


@pytest.fixture
def sasl_config(
    config: RuntimeConfig, sasl_broker: LocalKafka, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> RuntimeConfig:
    """This test's configuration, loaded from PICS_SYNC_* variables naming the SASL broker and a password file."""
    password_file = tmp_path / "kafka-sasl-password"
    password_file.write_text(PASSWORD + "\n")
    env = process_env(
        config,
        PICS_SYNC_KAFKA_BOOTSTRAP_SERVERS=sasl_broker.bootstrap_servers,
        PICS_SYNC_KAFKA_SECURITY_PROTOCOL=sasl_broker.security_protocol,
        PICS_SYNC_KAFKA_SASL_MECHANISM="PLAIN",
        PICS_SYNC_KAFKA_SASL_USERNAME=USERNAME,
        PICS_SYNC_KAFKA_SASL_PASSWORD_FILE=str(password_file),
    )
    for name in [n for n in os.environ if n.startswith("PICS_SYNC_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        if name.startswith("PICS_SYNC_"):
            monkeypatch.setenv(name, value)
    return load_config()


def test_enrolment_reaches_sa_through_a_sasl_broker(sasl_config: RuntimeConfig, sa: SaSandboxProcess) -> None:
    """With SASL settings from the environment (password from a file), an enrolment is produced, consumed and reaches SA."""
    assert sasl_config.kafka_sasl_password is not None
    assert sasl_config.kafka_sasl_password.get_secret_value() == PASSWORD  # read through the _FILE variable
    kafka = kafka_settings(sasl_config)
    ensure_topics(kafka, [sasl_config.topic_prefix + t for t in PUSH_TOPICS], TopicLayout(partitions=3))
    learner = {**People(21).learner("L-SASL-1"), "smart_assessor_id": None}
    with open_service(sasl_config) as service:
        SettingsRepository(service.pool).set_many({"Integration Enabled": "on"})
        LearnerRepository(service.pool).upsert([learner])
        producer = EventProducer(kafka, service.ports.serde, topic_prefix=sasl_config.topic_prefix)
        enrolled = {"learner": learner, "placement": None, "officers": [], "qualifications": []}
        producer.send("pics.learner", "L-SASL-1", new_event("LearnerEnrolled", enrolled))
        producer.flush(timeout=30)
        consumer = make_consumer(kafka, sasl_config.kafka_group_id)
        loop = ParallelLoop(consumer, service.ports, concurrency=2)
        loop.subscribe([sasl_config.topic_prefix + t for t in PUSH_TOPICS])
        try:
            tally = loop.run_until_drained(threading.Event(), timeout=60)
        finally:
            consumer.close()
    assert tally.count(Kind.APPLIED) == 1
    assert [(s["misId"], s["email"]) for s in sa.learners()] == [("L-SASL-1", learner["email"])]


def test_wrong_password_is_refused_and_nothing_is_read(sasl_config: RuntimeConfig) -> None:
    """A consumer with the wrong password gets an authentication error and reads no event; topic set-up names the settings."""
    kafka = kafka_settings(sasl_config)
    topic = f"{sasl_config.topic_prefix}pics.learner"
    ensure_topics(kafka, [topic], TopicLayout(partitions=1))
    producer = EventProducer(kafka, AvroSerde(), topic_prefix=sasl_config.topic_prefix)
    producer.send_raw("pics.learner", "L-SASL-2", b"an event the intruder must not read")
    producer.flush(timeout=30)
    wrong = kafka_settings(sasl_config.model_copy(update={"kafka_sasl_password": SecretStr("not-the-password")}))
    errors: list[KafkaError] = []
    consumer = make_consumer(wrong, f"intruder-{uuid.uuid4().hex[:8]}", error_cb=errors.append, log_level=0)
    consumer.subscribe([topic])
    read: list[Message] = []
    try:
        deadline = time.monotonic() + REFUSAL_WITHIN_S
        while time.monotonic() < deadline and not _refused(errors):
            read += [m for m in [consumer.poll(0.2)] if m is not None and m.error() is None]
        read += [m for m in consumer.consume(10, timeout=1.0) if m.error() is None]
    finally:
        consumer.close()
    assert _refused(errors), f"no authentication error within {REFUSAL_WITHIN_S} s: {errors}"
    assert "Invalid username or password" in next(e.str() for e in errors if _is_auth(e))
    assert read == []
    with pytest.raises(ConfigurationError, match="PICS_SYNC_KAFKA_SASL_PASSWORD"):
        # the admin call waits out its timeout
        ensure_topics(wrong, [topic], TopicLayout(partitions=1), timeout=REFUSAL_WITHIN_S / 2)


def _is_auth(error: KafkaError) -> bool:
    return bool(error.code() == KafkaError._AUTHENTICATION)


def _refused(errors: list[KafkaError]) -> bool:
    return any(map(_is_auth, errors))
