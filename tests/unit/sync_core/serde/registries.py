"""Schema registries for the serde tests: an in-memory fake, and the parameters of the ``registry`` fixture."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest


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


REGISTRIES = [
    pytest.param(None, id="single-object"),
    pytest.param("fake", id="confluent-fake-registry"),
    pytest.param("confluent", id="confluent-mock-registry"),
]
