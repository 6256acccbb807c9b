"""The HTTP schema registry adapter: the registry's failures as our errors."""

from __future__ import annotations

import httpx
import pytest

from sync_core.errors import FatalError, TransientError
from sync_core.serde import HttpSchemaRegistry


@pytest.mark.parametrize(
    ("answer", "call", "error"),
    [
        pytest.param(httpx.Response(503), "schema_by_id", TransientError, id="5xx-transient"),
        pytest.param(httpx.ConnectError("refused"), "schema_by_id", TransientError, id="down"),
        pytest.param(httpx.Response(404), "schema_by_id", KeyError, id="unknown-id"),
        pytest.param(httpx.Response(409, json={}), "register", FatalError, id="incompatible"),
        pytest.param(httpx.Response(404), "register", FatalError, id="register-not-found"),
    ],
)
def test_http_registry_errors(answer: httpx.Response | Exception, call: str, error: type[Exception]) -> None:
    """The HTTP adapter translates the registry's failures into our errors once."""

    def handle(request: httpx.Request) -> httpx.Response:
        if isinstance(answer, Exception):
            raise answer
        return answer

    with httpx.Client(base_url="http://registry.test", transport=httpx.MockTransport(handle)) as c:
        adapter = HttpSchemaRegistry(c)
        with pytest.raises(error):
            adapter.register("s", {}) if call == "register" else adapter.schema_by_id(1)
