"""The ``registry`` fixture: each framing the serde writes, with no, a fake or an HTTP registry."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sync_core.serde import HttpSchemaRegistry, SchemaRegistry
from tests.unit.sync_core.serde.registries import FakeRegistry, RegistryServer


@pytest.fixture
def registry(request: pytest.FixtureRequest) -> Iterator[SchemaRegistry | None]:
    """No registry, the in-memory fake, or the HTTP adapter against RegistryServer."""
    if request.param == "http":
        transport = httpx.MockTransport(RegistryServer())
        with httpx.Client(base_url="http://registry.test", transport=transport) as client:
            yield HttpSchemaRegistry(client)
    else:
        yield FakeRegistry() if request.param == "fake" else None
