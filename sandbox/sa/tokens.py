"""Bearer tokens the sandbox issued, and when each expires."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

from sandbox.sa.errors import ApiError

_CHALLENGE = {"WWW-Authenticate": "Bearer"}


class TokenStore:
    """Issues opaque tokens and checks them; an unknown or expired token is a 401."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._expiry: dict[str, float] = {}

    def issue(self, ttl_s: float) -> str:
        """A new token that expires ``ttl_s`` seconds from now."""
        self._forget_expired()
        token = secrets.token_urlsafe(32)
        self._expiry[token] = self._clock() + ttl_s
        return token

    def check(self, token: str | None) -> None:
        """Return if ``token`` is live, else raise the 401 SA answers."""
        if token is None:
            raise ApiError(401, "missing_token", "A bearer token is required.", headers=_CHALLENGE)
        expiry = self._expiry.get(token)
        if expiry is None:
            raise ApiError(401, "invalid_token", "The token is not known.", headers=_CHALLENGE)
        if expiry <= self._clock():
            raise ApiError(401, "token_expired", "The token has expired.", headers=_CHALLENGE)

    def expire_all(self) -> None:
        """Make every token issued so far expired (tests of renewal use it)."""
        now = self._clock()
        self._expiry = dict.fromkeys(self._expiry, now)

    def revoke_all(self) -> None:
        """Forget every token issued so far: the next SA call with one answers 401 ``invalid_token``."""
        self._expiry.clear()

    def _forget_expired(self) -> None:
        now = self._clock()
        self._expiry = {token: at for token, at in self._expiry.items() if at > now - 3600}
