"""The console token: actions (redrive, discard) need it; reading the pages does not.

An operator signs in once with the token (``PICS_SYNC_CONSOLE_TOKEN``); the console then sets a
cookie holding an HMAC of the token, never the token itself, HttpOnly and SameSite=Strict, so
another site's form cannot post an action with it. A script may send the token as a form field
``token`` instead. Every comparison is ``hmac.compare_digest``. With no token configured, actions
are disabled.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from pydantic import SecretStr

COOKIE = "pics_sync_console"
DISABLED = "Actions are disabled: set PICS_SYNC_CONSOLE_TOKEN and restart to redrive or discard from here."
_SESSION = b"pics-sync console session v1"


class ConsoleAuth:
    """Checks the console token, or the session cookie derived from it."""

    def __init__(self, token: SecretStr | None) -> None:
        secret = None if token is None else token.get_secret_value()
        self._token = secret.encode() if secret else None

    @property
    def enabled(self) -> bool:
        """True when a token is configured, so actions can be allowed at all."""
        return self._token is not None

    def token_ok(self, given: str | None) -> bool:
        """True when ``given`` is the console token."""
        return self._token is not None and given is not None and hmac.compare_digest(given.encode(), self._token)

    def session(self) -> str:
        """The cookie value of a signed-in operator."""
        assert self._token is not None, "no console token: nobody signs in"
        return hmac.new(self._token, _SESSION, hashlib.sha256).hexdigest()

    def signed_in(self, cookies: Mapping[str, str]) -> bool:
        """True when the request carries the session cookie."""
        given = cookies.get(COOKIE)
        return (
            self._token is not None
            and given is not None
            and hmac.compare_digest(given.encode(), self.session().encode())
        )

    def allows(self, cookies: Mapping[str, str], form: Mapping[str, str]) -> bool:
        """True when an action may go ahead: the session cookie, or the token in the form."""
        return self.signed_in(cookies) or self.token_ok(form.get("token"))
