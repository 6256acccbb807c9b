"""The ASGI layer in front of SA's routes: it logs every call and injects the configured faults.

It answers ``OPTIONS`` (204) and a method a path does not take (405) itself, each with ``Allow``
naming the methods the OpenAPI document gives that path, as an HTTP server should (RFC 9110 §9.3.7,
§15.5.6).

Faults come before authentication, as they would at a real gateway. A call drawn to hang has its
body read first, waits ``timeout_hang_s`` and is then served: the client has usually given up by
then, yet the write happens, as it can with a real API.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.sa.calls import Call
from sandbox.sa.errors import ApiError, error_response
from sandbox.sa.faults import Verdict
from sandbox.sa.state import SandboxState

SANDBOX_PREFIX = "/_sandbox"
_NOT_SA = frozenset({"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})


def is_sa_call(path: str) -> bool:
    """True for SA's API; false for the inspection endpoints and the API's documentation."""
    return not (path.startswith(SANDBOX_PREFIX) or path in _NOT_SA)


class SaGateway:
    """Pure ASGI middleware: call log and faults for SA routes; anything else passes through."""

    def __init__(self, app: ASGIApp, *, state: SandboxState, openapi: Mapping[str, Any]) -> None:
        self.app, self.state = app, state
        self.templates = RouteTemplates(openapi["paths"])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_sa_call(scope["path"]):
            await self.app(scope, receive, send)
            return
        template, resource_id = self.templates.resolve(scope["path"])
        call = self.state.calls.start(scope["method"], template, resource_id)
        send = _recording(send, call)
        allowed = self.templates.methods(template)
        if allowed and (scope["method"] == "OPTIONS" or scope["method"] not in allowed):
            await _not_a_method(scope["method"], allowed)(scope, receive, send)
            return
        verdict = self.state.faults.draw()
        refusal = _refusal(verdict)
        if refusal is not None:
            await error_response(refusal)(scope, receive, send)
            return
        if verdict.hang_s:
            receive = await _buffered(receive)
            await asyncio.sleep(verdict.hang_s)
        await asyncio.sleep(verdict.delay_s)
        await self.app(scope, receive, send)


def _refusal(verdict: Verdict) -> ApiError | None:
    if verdict.retry_after_s is not None:
        headers = {"Retry-After": str(verdict.retry_after_s)}
        return ApiError(429, "rate_limited", "Too many requests.", headers=headers)
    if verdict.unavailable:
        return ApiError(503, "unavailable", "Smart Assessor is unavailable.")
    return None


def _not_a_method(method: str, allowed: Sequence[str]) -> ASGIApp:
    """204 to ``OPTIONS``; 405 to any other method the path does not take. Both say what it does."""
    headers = {"Allow": ", ".join(allowed)}
    if method == "OPTIONS":
        return Response(status_code=204, headers=headers)
    return error_response(
        ApiError(405, "method_not_allowed", f"{method} is not a method of this path.", headers=headers)
    )


class RouteTemplates:
    """Turns a path into the route template it matches, as the call log counts calls, and names the
    methods each template takes."""

    def __init__(self, paths: Mapping[str, Mapping[str, Any]]) -> None:
        self._compiled = [(compile_path(path)[0], path) for path in paths]
        self._methods = {path: _allowed(operations) for path, operations in paths.items()}

    def methods(self, template: str) -> list[str]:
        """What ``template`` takes, ``OPTIONS`` included; empty for a path that is not a template."""
        return self._methods.get(template, [])

    def resolve(self, path: str) -> tuple[str, str | None]:
        """The template and the ``{id}`` the path names; the path itself when nothing matches."""
        for regex, template in self._compiled:
            match: re.Match[str] | None = regex.match(path)
            if match:
                return template, match.groupdict().get("id")
        return path, None


def _allowed(operations: Mapping[str, Any]) -> list[str]:
    methods = [method.upper() for method in operations]
    return [*methods, *(["HEAD"] if "GET" in methods else []), "OPTIONS"]  # a GET route answers HEAD too


def _recording(send: Send, call: Call) -> Send:
    """``send`` that notes the answer's status, and a created record's id from ``Location``."""

    async def record(message: Message) -> None:
        if message["type"] == "http.response.start":
            call.status = message["status"]
            location = dict(message.get("headers", [])).get(b"location")
            if call.resource_id is None and location:
                call.resource_id = location.decode().rsplit("/", 1)[-1]
        await send(message)

    return record


async def _buffered(receive: Receive) -> Receive:
    """Read the whole request body now; the returned ``receive`` replays it."""
    chunks: list[bytes] = []
    message: dict[str, Any] = {"more_body": True}
    while message.get("more_body"):
        message = dict(await receive())
        chunks.append(message.get("body", b""))
    replay: list[Message] = [{"type": "http.request", "body": b"".join(chunks)}]

    async def replayed() -> Message:
        return replay.pop() if replay else await receive()

    return replayed
