"""The schema registry port: where Confluent-framed values find their writer schema by id.

The serde frames and reads values itself; a registry only hands out ids and schemas. Its one
adapter is ``consumers/kafka/registry.py``, on confluent-kafka's ``SchemaRegistryClient`` (sync_core
imports no confluent_kafka), which translates the registry's failures into our errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class SchemaRegistry(Protocol):
    """Where Confluent-framed values find their writer schema by id."""

    def register(self, subject: str, schema: Mapping[str, Any]) -> int:
        """Registers ``schema`` under ``subject`` (idempotent) and returns its id."""
        ...

    def schema_by_id(self, schema_id: int) -> Mapping[str, Any]:
        """The Avro schema with this id, self-contained; raises ``KeyError`` when the registry has none."""
        ...
