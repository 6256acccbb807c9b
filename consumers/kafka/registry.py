"""The schema registry adapter: confluent-kafka's ``SchemaRegistryClient`` behind the serde's port.

``sync_core.serde`` frames and decodes values itself (it must import no confluent_kafka) and asks a
``SchemaRegistry`` only for ids and schemas. This module is that port's one implementation, on the
client our users' producers use (``AvroSerializer`` registers through it too), so auth, TLS, retries,
fail-over between URLs and the id cache are the library's. It translates the registry's failures once:

    the registry does not answer, or answers 5xx / 429   RegistryUnavailable (transient: retried)
    the registry refuses our credentials (401, 403)      RegistryRefused (fatal: one line, stop)
    no schema with that id (404)                         KeyError (the serde parks the event)
    any other refusal (e.g. 409 incompatible schema)     FatalError

Messages name the registry by scheme, host and port, never by its URL's login.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, TypeVar
from urllib.parse import urlsplit

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

# The httpx (or httpx2) the client sends with: its transport errors are what "unreachable" looks like.
from confluent_kafka.schema_registry.common._httpx_compat import httpx as _client_httpx
from confluent_kafka.schema_registry.error import SchemaRegistryError
from fastavro.schema import parse_schema

from sync_core.config import RuntimeConfig
from sync_core.errors import ConfigurationError, FatalError, TransientError

T = TypeVar("T")
_NOT_FOUND = 404
_REFUSED = (401, 403)
_TOO_MANY = 429


class RegistryUnavailable(TransientError):
    """The schema registry did not answer, or answered 5xx or 429."""


class RegistryRefused(FatalError):
    """The schema registry refused our credentials (401 or 403)."""


class ConfluentRegistry:
    """The ``sync_core.serde.SchemaRegistry`` port on a ``SchemaRegistryClient``.

    The client caches ids and schemas, so each id is fetched once per process.
    """

    def __init__(self, client: SchemaRegistryClient, name: str) -> None:
        self._client = client
        self._name = name

    def close(self) -> None:
        """Closes the client's HTTP session."""
        self._client.close()

    def register(self, subject: str, schema: Mapping[str, Any]) -> int:
        """Registers ``schema`` under ``subject`` (idempotent) and returns its id."""
        text = json.dumps(schema, separators=(",", ":"))
        return self._call(lambda: self._client.register_schema(subject, Schema(text, "AVRO")))

    def schema_by_id(self, schema_id: int) -> Mapping[str, Any]:
        """The Avro schema with this id, its references resolved; ``KeyError`` when the registry has none."""
        try:
            found = self._call(lambda: self._client.get_schema(schema_id))
        except SchemaRegistryError:  # only a 404 gets here
            raise KeyError(f"schema id {schema_id} is not in the schema registry") from None
        if (found.schema_type or "AVRO") != "AVRO":
            raise KeyError(f"schema id {schema_id} is a {found.schema_type} schema, not Avro")
        named: dict[str, Any] = {}
        self._load_references(found, named)
        # expand: the referenced records inlined, so the serde parses a self-contained record.
        schema = parse_schema(json.loads(found.schema_str or "null"), named, expand=True)
        if not isinstance(schema, dict):
            raise KeyError(f"schema id {schema_id} is not an Avro record")
        return schema

    def _load_references(self, schema: Schema, named: dict[str, Any]) -> None:
        """Parses every schema ``schema`` references (depth first) into ``named``."""
        for reference in schema.references or ():
            subject, number = reference.subject, reference.version
            if subject is None or number is None:
                raise KeyError(f"schema {reference.name} is referenced without a subject and version")
            version = self._call(partial(self._client.get_version, subject, number))
            self._load_references(version.schema, named)
            parse_schema(json.loads(version.schema.schema_str or "null"), named)

    def _call(self, call: Callable[[], T]) -> T:
        """Runs one client call, translating the registry's failures (a 404 is re-raised as it is)."""
        try:
            return call()
        except _client_httpx.TransportError as exc:
            raise RegistryUnavailable(
                f"the schema registry {self._name} is unreachable: {type(exc).__name__}"
            ) from None
        except SchemaRegistryError as exc:
            status = exc.http_status_code
            if status == _NOT_FOUND:
                raise
            if status >= 500 or status == _TOO_MANY:
                raise RegistryUnavailable(f"the schema registry {self._name} answered {status}") from None
            if status in _REFUSED:
                raise RegistryRefused(
                    f"the schema registry {self._name} refused our credentials ({status}): check"
                    " PICS_SYNC_SCHEMA_REGISTRY_USER_INFO or PICS_SYNC_SCHEMA_REGISTRY_BEARER_TOKEN"
                ) from None
            raise FatalError(
                f"the schema registry {self._name} refused: {status} {exc.error_code} {exc.error_message}"
            ) from None


def registry_settings(config: RuntimeConfig) -> dict[str, Any]:
    """The ``SchemaRegistryClient`` settings of ``config``: URL, auth and TLS (only those set)."""
    settings: dict[str, Any] = {"url": config.schema_registry_url, "timeout": config.sa_timeout_s}
    optional = {
        "basic.auth.user.info": config.schema_registry_user_info,
        "ssl.ca.location": config.schema_registry_ssl_ca_location,
        "ssl.certificate.location": config.schema_registry_ssl_certificate_location,
        "ssl.key.location": config.schema_registry_ssl_key_location,
        "ssl.key.password": config.schema_registry_ssl_key_password,
    }
    settings |= {name: _plain(value) for name, value in optional.items() if value is not None}
    if config.schema_registry_bearer_token is not None:
        settings |= {
            "bearer.auth.credentials.source": "STATIC_TOKEN",
            "bearer.auth.token": _plain(config.schema_registry_bearer_token),
            # Required by the client; Confluent Cloud's lsrc-… id, which other registries ignore.
            "bearer.auth.logical.cluster": config.schema_registry_logical_cluster or "",
        }
    return settings


def make_registry(config: RuntimeConfig) -> ConfluentRegistry:
    """The registry ``config`` names; ``ConfigurationError`` in one line when the client refuses its settings."""
    settings = registry_settings(config)
    try:
        client = SchemaRegistryClient.new_client(settings)  # mock:// gives the library's in-memory registry
    except (ValueError, TypeError, OSError) as exc:  # OSError: a TLS file that cannot be read
        raise ConfigurationError(f"PICS_SYNC_SCHEMA_REGISTRY_*: {_without_secrets(str(exc), settings)}") from None
    return ConfluentRegistry(client, registry_name(settings["url"]))


def registry_name(url: str) -> str:
    """``scheme://host:port`` of the registry's first URL: its login left out."""
    first = urlsplit(url.split(",")[0].strip())
    port = f":{first.port}" if first.port else ""
    return f"{first.scheme}://{first.hostname or ''}{port}"


def _plain(value: Any) -> Any:
    return value.get_secret_value() if hasattr(value, "get_secret_value") else value


def _without_secrets(message: str, settings: Mapping[str, Any]) -> str:
    """The client's message with every secret setting's value blanked (it may quote the URL)."""
    for name in ("url", "basic.auth.user.info", "bearer.auth.token", "ssl.key.password"):
        value = settings.get(name)
        if value:
            message = message.replace(str(value), "…")
    return message.splitlines()[0] if message else message
