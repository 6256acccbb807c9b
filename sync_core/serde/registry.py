"""The schema registry port, and its adapter for the Confluent Schema Registry REST API.

The adapter is the only code that knows the registry's URLs and status codes. It translates them
once: unreachable or 5xx/429 → ``TransientError``; an unknown schema id → ``KeyError`` (the serde
turns that into an undecodable event); any other refusal → ``FatalError``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from sync_core.errors import FatalError, TransientError

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
_HEADERS = {"Content-Type": CONTENT_TYPE, "Accept": CONTENT_TYPE}


class SchemaRegistry(Protocol):
    """Where Confluent-framed values find their writer schema by id."""

    def register(self, subject: str, schema: Mapping[str, Any]) -> int:
        """Registers ``schema`` under ``subject`` (idempotent) and returns its id."""
        ...

    def schema_by_id(self, schema_id: int) -> Mapping[str, Any]:
        """The Avro schema with this id; raises ``KeyError`` when the registry has none."""
        ...


class HttpSchemaRegistry:
    """A Confluent Schema Registry over HTTP.

    ``client`` carries the registry's ``base_url``, credentials and timeouts; its owner closes it.
    """

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def register(self, subject: str, schema: Mapping[str, Any]) -> int:
        """Registers ``schema`` as a version of ``subject`` and returns its global id."""
        body = json.dumps({"schema": json.dumps(schema, separators=(",", ":"))})
        response = self._send("POST", f"/subjects/{quote(subject, safe='')}/versions", body)
        return int(response.json()["id"])

    def schema_by_id(self, schema_id: int) -> Mapping[str, Any]:
        """The Avro schema with id ``schema_id``."""
        response = self._send("GET", f"/schemas/ids/{schema_id}", allow_not_found=True)
        if response.status_code == httpx.codes.NOT_FOUND:
            raise KeyError(f"schema id {schema_id} is not in the schema registry")
        answer = response.json()
        # A registry also holds Protobuf and JSON schemas; we read Avro only.
        if answer.get("schemaType", "AVRO") != "AVRO":
            raise KeyError(f"schema id {schema_id} is a {answer['schemaType']} schema, not Avro")
        schema = json.loads(answer["schema"])
        if not isinstance(schema, dict):
            raise KeyError(f"schema id {schema_id} is not an Avro record")
        return schema

    def _send(
        self, method: str, path: str, body: str | None = None, *, allow_not_found: bool = False
    ) -> httpx.Response:
        """Sends one request and translates the registry's failures."""
        try:
            response = self._client.request(method, path, content=body, headers=_HEADERS)
        except httpx.TransportError as exc:
            raise TransientError(f"schema registry unreachable ({method} {path}): {type(exc).__name__}") from exc
        status = response.status_code
        if status >= 500 or status == httpx.codes.TOO_MANY_REQUESTS:
            raise TransientError(f"schema registry answered {status} to {method} {path}")
        if status >= 400 and not (allow_not_found and status == httpx.codes.NOT_FOUND):
            raise FatalError(f"schema registry refused {method} {path}: {_problem(response)}")
        return response


def _problem(response: httpx.Response) -> str:
    """The registry's error as one line: status, its error code and message."""
    try:
        error = response.json()
    except ValueError:
        error = None
    if not isinstance(error, dict):
        return str(response.status_code)
    return f"{response.status_code} {error.get('error_code', '')} {error.get('message', '')}".strip()
