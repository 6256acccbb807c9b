"""Calls an ASGI app in-process over httpx, with no socket (starlette's TestClient is deprecated with httpx)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx


class AsgiClient:
    """``get`` and ``post`` on an ASGI app; each call runs on its own event loop, as a sync test wants."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://console.test") as client:
                return await client.request(method, url, **kwargs)

        return asyncio.run(call())
