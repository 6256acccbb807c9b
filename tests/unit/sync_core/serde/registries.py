"""Schema registries for the serde tests: an in-memory fake and the REST endpoints for httpx.MockTransport."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx
import pytest

from sync_core.serde.registry import CONTENT_TYPE


class FakeRegistry:
    """An in-memory schema registry: ids from 1, one id per distinct schema."""

    def __init__(self) -> None:
        self.schemas: dict[int, Mapping[str, Any]] = {}

    def register(self, subject: str, schema: Mapping[str, Any]) -> int:
        """Returns the id of an equal schema, or a new one."""
        for schema_id, known in self.schemas.items():
            if known == schema:
                return schema_id
        self.schemas[len(self.schemas) + 1] = schema
        return len(self.schemas)

    def schema_by_id(self, schema_id: int) -> Mapping[str, Any]:
        """The schema with that id; KeyError when there is none."""
        return self.schemas[schema_id]


class RegistryServer:
    """The Confluent Schema Registry REST endpoints the adapter uses, for httpx.MockTransport."""

    def __init__(self) -> None:
        self.schemas: dict[int, str] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        """Answers one request as the registry would."""
        assert request.headers["accept"] == CONTENT_TYPE
        match request.method, request.url.path.split("/")[1:]:
            case "POST", ["subjects", subject, "versions"] if subject.endswith("-value"):
                assert request.headers["content-type"] == CONTENT_TYPE
                return httpx.Response(200, json={"id": self._register(request)})
            case "GET", ["schemas", "ids", schema_id] if int(schema_id) in self.schemas:
                return httpx.Response(200, json={"schema": self.schemas[int(schema_id)]})
        return httpx.Response(404, json={"error_code": 40403, "message": "Schema not found"})

    def _register(self, request: httpx.Request) -> int:
        """Stores the posted schema text under a new id unless already known."""
        text = json.loads(request.content)["schema"]
        for schema_id, known in self.schemas.items():
            if known == text:
                return schema_id
        self.schemas[len(self.schemas) + 1] = text
        return len(self.schemas)


REGISTRIES = [
    pytest.param(None, id="single-object"),
    pytest.param("fake", id="confluent-fake-registry"),
    pytest.param("http", id="confluent-http-registry"),
]
