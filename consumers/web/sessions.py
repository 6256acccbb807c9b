"""The console's sessions: random ids held in this process's memory, each with its CSRF token and flash.

A session id is 256 random bits (``secrets``), the only thing the cookie holds; nothing in it is
derived from the console token, so a cookie tells nothing and a stolen one dies with its session.
Every session expires ``ttl_s`` after it was made, however busy: an expired id is unknown from
then on, so a replayed cookie is refused. Sessions live in memory: one process, one store; a
restart signs everyone out, and two replicas do not share them (an ingress needs sticky sessions
to spread one operator over several pods).

Anonymous sessions (a visitor on the sign-in form, which needs a CSRF token before anyone signs
in) are capped apart from signed-in ones, so a flood of visits can evict only other visits.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

ANONYMOUS_KEPT = 1000  # sign-in forms open at once; the oldest is forgotten first
SIGNED_IN_KEPT = 100  # operators signed in at once


@dataclass
class Session:
    """One browser's session: whether it signed in, its CSRF token, and the message to show it once."""

    id: str
    signed_in: bool
    expires_at: float  # on the store's clock
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    flash: str | None = None

    def csrf_ok(self, given: str | None) -> bool:
        """True when ``given`` is this session's CSRF token."""
        return given is not None and hmac.compare_digest(given.encode(), self.csrf.encode())


class Sessions:
    """The live sessions of this process; thread-safe, as the pages run on a thread pool."""

    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s, self._clock = ttl_s, clock
        self._kinds: dict[bool, OrderedDict[str, Session]] = {False: OrderedDict(), True: OrderedDict()}
        self._lock = threading.Lock()

    def new(self, *, signed_in: bool) -> Session:
        """A fresh session with a new id and CSRF token."""
        session = Session(secrets.token_urlsafe(32), signed_in, self._clock() + self.ttl_s)
        kept = SIGNED_IN_KEPT if signed_in else ANONYMOUS_KEPT
        with self._lock:
            store = self._kinds[signed_in]
            store[session.id] = session
            while len(store) > kept:
                store.popitem(last=False)
        return session

    def get(self, session_id: str | None) -> Session | None:
        """The live session of that id; None when it is unknown or has expired (and it is forgotten)."""
        if not session_id:
            return None
        with self._lock:
            for store in self._kinds.values():
                session = store.get(session_id)
                if session is not None and session.expires_at <= self._clock():
                    del store[session_id]
                    return None
                if session is not None:
                    return session
        return None

    def drop(self, session: Session) -> None:
        """End a session (sign-out, or an anonymous one replaced on sign-in)."""
        with self._lock:
            self._kinds[session.signed_in].pop(session.id, None)

    def flash(self, session: Session, message: str) -> None:
        """Keep ``message`` for the next page this session sees."""
        with self._lock:
            session.flash = message

    def take_flash(self, session: Session) -> str | None:
        """The message kept for this session, once."""
        with self._lock:
            message, session.flash = session.flash, None
        return message
