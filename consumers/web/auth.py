"""The console's sign-in: the console token, the sessions a sign-in opens, and the back-off on wrong tokens.

Reading the pages needs nothing; an action (redrive, discard) needs one of:

- a signed-in session (``sessions``): its random id is the cookie (HttpOnly, SameSite=Strict, Secure
  over https or with ``PICS_SYNC_CONSOLE_HTTPS``, gone after ``PICS_SYNC_CONSOLE_SESSION_TTL_S``), and
  the form carries the session's CSRF token;
- or the console token itself in the form field ``token``: a script. Knowing the token is more than
  any forged form can, so no CSRF token is asked for; the guessing back-off applies all the same.

Signing in (``PICS_SYNC_CONSOLE_TOKEN``, at least 32 characters, checked by the configuration at
start) posts the form of an anonymous session, with its CSRF token; the right token replaces that
session with a new signed-in one, so an id seen before sign-in is worth nothing after. Wrong tokens
are counted per client address (``throttle``). Every comparison is ``hmac.compare_digest``. With no
token configured, actions are disabled.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import SecretStr
from starlette.requests import Request

from consumers.web.sessions import Session, Sessions
from consumers.web.throttle import SignInThrottle

COOKIE = "pics_sync_console"
DISABLED = "Actions are disabled: set PICS_SYNC_CONSOLE_TOKEN and restart to redrive or discard from here."
SESSION_TTL_S = 3600.0


class ConsoleAuth:
    """The console token, this process's sessions and the back-off on wrong tokens."""

    def __init__(
        self,
        token: SecretStr | None,
        *,
        session_ttl_s: float = SESSION_TTL_S,
        https: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        secret = None if token is None else token.get_secret_value()
        self._token = secret.encode() if secret else None
        self.https, self.session_ttl_s = https, session_ttl_s
        self.sessions = Sessions(session_ttl_s, clock)
        self.throttle = SignInThrottle(clock)

    @property
    def enabled(self) -> bool:
        """True when a token is configured, so actions can be allowed at all."""
        return self._token is not None

    def token_ok(self, given: str | None) -> bool:
        """True when ``given`` is the console token (no back-off: see ``try_token``)."""
        return self._token is not None and given is not None and hmac.compare_digest(given.encode(), self._token)

    def try_token(self, client: str, given: str | None) -> bool:
        """True when ``given`` is the token; a wrong one counts against ``client`` (ask ``throttle`` first)."""
        if self.token_ok(given):
            self.throttle.succeeded(client)
            return True
        self.throttle.failed(client)
        return False

    def session(self, cookies: Mapping[str, str]) -> Session | None:
        """The live session the request's cookie names, signed in or not."""
        return self.sessions.get(cookies.get(COOKIE))

    def stale(self, cookies: Mapping[str, str]) -> bool:
        """True when the cookie names a session that has expired, or that this process never made."""
        return bool(cookies.get(COOKIE)) and self.session(cookies) is None

    def signed_in(self, cookies: Mapping[str, str]) -> bool:
        """True when the request's cookie names a live, signed-in session."""
        session = self.session(cookies)
        return session is not None and session.signed_in

    def sign_in(self, before: Session) -> Session:
        """The right token was given: end the anonymous session and open a signed-in one."""
        self.sessions.drop(before)
        return self.sessions.new(signed_in=True)

    def cookie(self, request: Request) -> dict[str, Any]:
        """The session cookie's attributes for a response to ``request``."""
        secure = self.https or request.url.scheme == "https"
        return {"httponly": True, "samesite": "strict", "secure": secure, "max_age": int(self.session_ttl_s)}
