"""The back-off on wrong console tokens, per client address.

A client's first ``FREE_FAILURES`` wrong tokens cost nothing; each one after that shuts it out for
twice as long as the one before (1 s, 2 s, 4 s … up to ``LONGEST``), and while it is shut out every
attempt is answered 429 without the token being looked at, so a right guess then is no use either.
Failures older than ``WINDOW`` are forgotten; a right token clears the client's record.

The client is the address the connection comes from: behind an ingress that is the ingress, so a
guesser there shuts every operator out for a while. That is the price of not trusting a
``X-Forwarded-For`` anyone can write.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

FREE_FAILURES = 5
WINDOW = 15 * 60.0  # seconds a failure is remembered
LONGEST = 15 * 60.0  # the longest a client is shut out
CLIENTS_KEPT = 10_000  # addresses remembered at once; the oldest failure is forgotten first


@dataclass
class _Record:
    failures: int
    last: float
    shut_until: float


class SignInThrottle:
    """Counts each client's wrong tokens and says how long it must wait; thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._clients: OrderedDict[str, _Record] = OrderedDict()
        self._lock = threading.Lock()

    def wait_s(self, client: str) -> float:
        """Seconds ``client`` must wait before its next token is looked at; 0 when it may try now."""
        with self._lock:
            record = self._live(client)
            return 0.0 if record is None else max(0.0, record.shut_until - self._clock())

    def failed(self, client: str) -> None:
        """``client`` gave a wrong token."""
        now = self._clock()
        with self._lock:
            record = self._live(client) or _Record(0, now, now)
            record.failures, record.last = record.failures + 1, now
            if record.failures > FREE_FAILURES:
                record.shut_until = now + min(LONGEST, 2.0 ** (record.failures - FREE_FAILURES - 1))
            self._clients[client] = record
            self._clients.move_to_end(client)
            while len(self._clients) > CLIENTS_KEPT:
                self._clients.popitem(last=False)

    def succeeded(self, client: str) -> None:
        """``client`` gave the right token: its failures are forgiven."""
        with self._lock:
            self._clients.pop(client, None)

    def _live(self, client: str) -> _Record | None:
        record = self._clients.get(client)
        if record is not None and self._clock() - record.last > WINDOW and self._clock() >= record.shut_until:
            del self._clients[client]
            return None
        return record
