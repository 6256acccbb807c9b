"""Smart Assessor authentication: the integration's credentials (S2) and the bearer token flow.

Part of the SA adapter with ``sa_client``, which alone uses it. A token is fetched on first use,
renewed shortly before it expires and once when SA answers 401 all the same. One lock guards the
token, so threads that find it stale together renew it once. When the token endpoint answers
anything but 200, the flow ends with that answer and ``sa_client`` translates it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncGenerator, Callable, Generator
from dataclasses import dataclass, field

import httpx

from sync_core.errors import SaUnavailable

#: Renew this long before the token expires (at most a tenth of its lifetime).
RENEW_EARLY_S = 60.0

Flow = Generator[httpx.Request, httpx.Response, None]


@dataclass(frozen=True)
class SaCredentials:
    """Username, Password and Client Key (S2). The secrets stay out of ``repr``."""

    username: str
    password: str = field(repr=False)
    client_key: str = field(repr=False)


@dataclass(frozen=True)
class _Token:
    value: str = field(repr=False)
    renew_at: float


class SaTokenAuth(httpx.Auth):
    """``Authorization: Bearer`` for every SA request; for sync clients (a threading lock)."""

    def __init__(
        self,
        credentials: SaCredentials,
        token_url: str,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token_url = httpx.URL(token_url)
        self._credentials, self._clock = credentials, clock
        self._lock = threading.Lock()
        self._token: _Token | None = None

    def __repr__(self) -> str:
        return f"SaTokenAuth(token_url={str(self.token_url)!r}, {self._credentials!r})"

    def auth_flow(self, request: httpx.Request) -> Flow:
        """Send ``request`` with a live token; on a 401, renew the token and send it once more."""
        token = yield from self._live_token(stale=None)
        if token is None:
            return
        response = yield _with_bearer(request, token)
        if response.status_code == httpx.codes.UNAUTHORIZED:
            token = yield from self._live_token(stale=token)
            if token is not None:
                yield _with_bearer(request, token)

    def sync_auth_flow(self, request: httpx.Request) -> Flow:
        # Delegate with ``yield from`` so that httpx closing this flow closes ``auth_flow`` too,
        # releasing the lock at once even when the token request failed.
        yield from self.auth_flow(request)

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        raise TypeError("SaTokenAuth serves sync clients only: its lock is a threading lock")
        yield request  # pragma: no cover - makes this an async generator

    def _live_token(self, stale: str | None) -> Generator[httpx.Request, httpx.Response, str | None]:
        """A token that is not ``stale`` and not about to expire; None if SA refused one."""
        with self._lock:
            token = self._token
            if token is not None and token.value != stale and self._clock() < token.renew_at:
                return token.value
            sent_at = self._clock()
            response = yield self._token_request()
            if response.status_code != httpx.codes.OK:
                return None
            response.read()
            self._token = _parse_token(response, sent_at)
            return self._token.value

    def _token_request(self) -> httpx.Request:
        credentials = self._credentials
        body = {
            "username": credentials.username,
            "password": credentials.password,
            "clientKey": credentials.client_key,
        }
        return httpx.Request("POST", self.token_url, json=body)


def _with_bearer(request: httpx.Request, token: str) -> httpx.Request:
    request.headers["Authorization"] = f"Bearer {token}"
    return request


def _parse_token(response: httpx.Response, sent_at: float) -> _Token:
    """The token in SA's answer ``{accessToken, tokenType, expiresIn}``."""
    try:
        body = response.json()
        value, expires_in = body["accessToken"], float(body["expiresIn"])
    except (ValueError, TypeError, KeyError) as exc:
        raise SaUnavailable("Smart Assessor's token answer is malformed", status=200) from exc
    if not isinstance(value, str) or not value:
        raise SaUnavailable("Smart Assessor's token answer has no token", status=200)
    renew_at = sent_at + expires_in - min(RENEW_EARLY_S, expires_in / 10)
    return _Token(value, renew_at)
