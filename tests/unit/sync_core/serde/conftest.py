"""The ``registry`` fixture: each framing the serde writes, with no, a fake or confluent-kafka's mock registry."""

from __future__ import annotations

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient

from consumers.kafka.registry import ConfluentRegistry
from sync_core.serde import SchemaRegistry
from tests.unit.sync_core.serde.registries import FakeRegistry

MOCK_URL = "mock://serde-tests"


@pytest.fixture
def registry(request: pytest.FixtureRequest) -> SchemaRegistry | None:
    """No registry, the in-memory fake, or our adapter on the library's ``mock://`` client."""
    if request.param == "confluent":
        return ConfluentRegistry(SchemaRegistryClient.new_client({"url": MOCK_URL}), MOCK_URL)
    return FakeRegistry() if request.param == "fake" else None
