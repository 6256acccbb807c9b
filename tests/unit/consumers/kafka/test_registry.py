"""The schema registry through confluent-kafka's client: what its own AvroSerializer writes, our serde reads."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import fastavro
import pytest
from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from consumers.kafka.registry import (
    ConfluentRegistry,
    RegistryRefused,
    RegistryUnavailable,
    make_registry,
    registry_settings,
)
from sync_core.config import load_config
from sync_core.errors import ConfigurationError, FatalError, TransientError
from sync_core.serde import AvroSerde
from sync_core.serde.catalog import current_schemas, plain
from tests.unit.sync_core.serde.samples import RECORD, TOPIC, learner_edited

MOCK = "mock://registry-tests"


@pytest.fixture
def client() -> SchemaRegistryClient:
    """The library's in-memory registry."""
    return SchemaRegistryClient.new_client({"url": MOCK})


def produced_by_confluent(client: SchemaRegistryClient, schema: dict[str, Any], value: dict[str, Any]) -> bytes:
    """What a user's producer on confluent-kafka's own AvroSerializer puts on pics.learner."""
    serializer = AvroSerializer(client, json.dumps(schema))
    data = serializer(value, SerializationContext(TOPIC, MessageField.VALUE))
    assert data is not None
    return data


def newer_schema() -> dict[str, Any]:
    """The current LearnerEvent with a field a newer producer added, with a default: a compatible change."""
    schema = plain(current_schemas()[RECORD])
    schema["fields"] = [*schema["fields"], {"name": "producer_build", "type": "string", "default": ""}]
    return schema


def test_reads_what_confluents_avro_serializer_wrote(client: SchemaRegistryClient) -> None:
    """A value from confluent-kafka's AvroSerializer (Confluent framing) decodes to the event it carries."""
    value = learner_edited()
    data = produced_by_confluent(client, plain(current_schemas()[RECORD]), value)

    event = AvroSerde(registry=ConfluentRegistry(client, MOCK)).decode(data)

    assert data[:1] == b"\x00" and event.writer_schema_id.startswith("registry:")
    assert event.envelope.event_id == value["event_id"] and event.name == "LearnerEdited"
    assert event.payload["learner"]["learner_ident"] == value["event"][1]["learner"]["learner_ident"]


def test_reads_a_newer_compatible_writer_schema(client: SchemaRegistryClient) -> None:
    """A producer on a newer schema (a field added with a default) is read against our current schema."""
    value = {**learner_edited(), "producer_build": "2026.12"}
    data = produced_by_confluent(client, newer_schema(), value)

    event = AvroSerde(registry=ConfluentRegistry(client, MOCK)).decode(data)

    assert event.envelope.event_id == value["event_id"] and event.name == "LearnerEdited"
    assert "producer_build" not in event.payload


def test_each_schema_id_is_fetched_once(client: SchemaRegistryClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Many values written with one schema ask the registry for it once."""
    data = produced_by_confluent(client, newer_schema(), {**learner_edited(), "producer_build": "x"})
    asked: list[int] = []
    fetch = client.get_schema
    monkeypatch.setattr(client, "get_schema", lambda schema_id, *a, **k: asked.append(schema_id) or fetch(schema_id))
    serde = AvroSerde(registry=ConfluentRegistry(client, MOCK))

    for _ in range(3):
        serde.decode(data)

    assert len(asked) == 1


def test_our_values_are_read_by_confluents_registry(client: SchemaRegistryClient) -> None:
    """What we encode with a registry is registered under <topic>-value and framed with its id."""
    data = AvroSerde(registry=ConfluentRegistry(client, MOCK)).encode(TOPIC, learner_edited())
    registered = client.get_latest_version(f"{TOPIC}-value")
    assert data[:5] == b"\x00" + registered.schema_id.to_bytes(4, "big")


def test_a_writer_schema_with_references_is_resolved(client: SchemaRegistryClient) -> None:
    """A writer schema that references a record registered under its own subject is read with that record."""
    schema = plain(current_schemas()[RECORD])
    edited = schema["fields"][5]["type"][0]
    learner, edited["fields"][0]["type"] = edited["fields"][0]["type"], "pics.events.Learner"
    client.register_schema("pics.events.Learner", Schema(json.dumps(learner), "AVRO"))
    reference = SchemaReference("pics.events.Learner", "pics.events.Learner", 1)
    schema_id = client.register_schema(f"{TOPIC}-value", Schema(json.dumps(schema), "AVRO", [reference]))
    body = io.BytesIO()
    fastavro.schemaless_writer(body, current_schemas()[RECORD], learner_edited())

    event = AvroSerde(registry=ConfluentRegistry(client, MOCK)).decode(
        b"\x00" + schema_id.to_bytes(4, "big") + body.getvalue()
    )

    assert event.name == "LearnerEdited" and event.writer_schema_id == f"registry:{schema_id}"


def test_an_unknown_id_is_undecodable(client: SchemaRegistryClient) -> None:
    """An id the registry does not have is a KeyError for the serde, which parks the event."""
    with pytest.raises(KeyError):
        ConfluentRegistry(client, MOCK).schema_by_id(42)


class _Answer(BaseHTTPRequestHandler):
    """A registry that answers every request with the server's ``status``."""

    def do_GET(self) -> None:
        body = json.dumps({"error_code": self.server.status * 100, "message": "no"}).encode()  # type: ignore[attr-defined]
        self.send_response(self.server.status)  # type: ignore[attr-defined]
        self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        """Quiet."""


@pytest.fixture
def answering() -> Iterator[ThreadingHTTPServer]:
    """A local HTTP registry whose answer a test sets."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("status", "error"),
    [
        pytest.param(401, RegistryRefused, id="401-refused-credentials-fatal"),
        pytest.param(403, RegistryRefused, id="403-refused-credentials-fatal"),
        pytest.param(503, RegistryUnavailable, id="503-transient"),
        pytest.param(422, FatalError, id="other-refusal-fatal"),
    ],
)
def test_the_registrys_answers_as_our_errors(
    answering: ThreadingHTTPServer, status: int, error: type[Exception]
) -> None:
    """Refused credentials stop the consumer in one line; a registry in trouble is retried."""
    answering.status = status  # type: ignore[attr-defined]
    url = f"http://sync:registry-s3cret@127.0.0.1:{answering.server_port}"
    registry = make_registry(load_config(schema_registry_url=url))
    with pytest.raises(error) as raised:
        registry.schema_by_id(1)
    [line] = str(raised.value).splitlines()
    assert f"127.0.0.1:{answering.server_port}" in line and "registry-s3cret" not in line
    assert isinstance(raised.value, FatalError if status != 503 else TransientError)


def test_an_unreachable_registry_is_transient_and_named() -> None:
    """Nothing listening: a TransientError naming the registry (the policy retries it)."""
    registry = make_registry(load_config(schema_registry_url="http://127.0.0.1:9"))
    with pytest.raises(RegistryUnavailable, match=r"the schema registry http://127\.0\.0\.1:9 is unreachable"):
        registry.schema_by_id(1)


def test_login_and_tls_settings_reach_the_client(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Basic auth from its _FILE, and the TLS files, become the client's settings."""
    secret = tmp_path / "user-info"
    secret.write_text("sync:from-a-file\n", encoding="utf-8")
    monkeypatch.setenv("PICS_SYNC_SCHEMA_REGISTRY_USER_INFO_FILE", str(secret))
    monkeypatch.setenv("PICS_SYNC_SCHEMA_REGISTRY_SSL_CA_LOCATION", "/etc/ssl/registry-ca.pem")
    settings = registry_settings(load_config(schema_registry_url="https://registry.example:8081"))
    assert settings["basic.auth.user.info"] == "sync:from-a-file"
    assert settings["ssl.ca.location"] == "/etc/ssl/registry-ca.pem"
    assert "bearer.auth.token" not in settings


def test_a_bearer_token_is_a_static_token() -> None:
    """PICS_SYNC_SCHEMA_REGISTRY_BEARER_TOKEN is sent as the client's static bearer token."""
    config = load_config(schema_registry_url="https://r.example", schema_registry_bearer_token="tok-" + "x" * 20)
    settings = registry_settings(config)
    assert settings["bearer.auth.credentials.source"] == "STATIC_TOKEN"
    assert settings["bearer.auth.token"] == "tok-" + "x" * 20
    make_registry(config).close()  # the client accepts them


def test_settings_the_client_refuses_are_one_line_without_the_secret() -> None:
    """A login both in the URL and in USER_INFO is refused by the client: one line, no password."""
    config = load_config(
        schema_registry_url="https://a:url-s3cret@r.example", schema_registry_user_info="b:info-s3cret"
    )
    with pytest.raises(ConfigurationError) as refused:
        make_registry(config)
    [line] = str(refused.value).splitlines()
    assert line.startswith("PICS_SYNC_SCHEMA_REGISTRY_") and "s3cret" not in line
