"""Qualification links (DOMAIN.md §6): Qualification Reference → SA course, from SA's catalogue.

A consumer reads the (small) table once and keeps it ``ttl`` seconds (``PICS_SYNC_LINKS_TTL_S``).
"Refresh Qualification Links" (``pics-sync qualifications refresh``, in any process) also sends a
PostgreSQL notice on ``NOTICE_CHANNEL`` as it commits; a consumer that ``listen``s drops its copy on
the next lookup after the notice arrives, so the very next enrolment uses the new links. Looking for
a notice reads only what the socket already holds: no round trip per lookup. The ttl still bounds
how long a notice lost with a dropped connection can leave old links in use.
"""

from __future__ import annotations

import select
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

import psycopg
import structlog
from psycopg_pool import ConnectionPool

NOTICE_CHANNEL = "pics_sync_qualification_links"
TTL_S = 60.0

log = structlog.get_logger(__name__)


class QualificationLinks:
    """Reads and refreshes ``pics.qualification_link``; reads are remembered for ``ttl`` seconds or until a
    refresh's notice (once ``listen`` is called)."""

    def __init__(self, pool: ConnectionPool, ttl: float = TTL_S) -> None:
        self._pool, self._ttl = pool, ttl
        self._cache: dict[str, str | None] = {}
        self._loaded_at = -float("inf")
        self._lock = threading.Lock()  # the workers look up at once; one of them reloads
        self._notices: psycopg.Connection[Any] | None = None

    def listen(self) -> None:
        """Hear of refreshes from now on, on a connection of its own (``close`` closes it)."""
        try:
            # The pool's conninfo carries its limits (connect and statement timeouts, keepalives).
            self._notices = psycopg.connect(str(self._pool.conninfo), autocommit=True)
            self._notices.execute(f"LISTEN {NOTICE_CHANNEL}")
        except psycopg.Error as error:  # links still reload every ttl
            log.warning("qualification links: no refresh notices", error=type(error).__name__)
            self.close()

    def close(self) -> None:
        notices, self._notices = self._notices, None
        if notices is not None:
            notices.close()

    def course_id(self, qualification_reference: str) -> str | None:
        """The SA course of a Qualification Reference, when SA supports it (U5)."""
        with self._lock:
            if self._refreshed() or time.monotonic() - self._loaded_at > self._ttl:
                self._cache = self._load()  # one read of the whole (small) table, swapped in at once
                self._loaded_at = time.monotonic()
            return self._cache.get(qualification_reference)

    def _refreshed(self) -> bool:
        """Whether a refresh's notice has arrived since the last look (what the socket holds; no wait)."""
        if self._notices is None:
            return False
        try:
            # Nothing on the socket, nothing new: asking psycopg then costs an exception (its wait's
            # timeout) on every lookup.
            if not select.select([self._notices.fileno()], [], [], 0)[0]:
                return False
            return any(True for _ in self._notices.notifies(timeout=0))
        except (psycopg.Error, OSError):  # the connection is gone: reload now, and by the ttl from then on
            self.close()
            return True

    def _load(self) -> dict[str, str | None]:
        with self._pool.connection() as conn:
            rows = conn.execute("SELECT qualification_reference, sa_course_id FROM pics.qualification_link")
            return {str(ref): str(course) for ref, course in rows}

    def refresh(self, catalogue: Iterable[Mapping[str, Any]]) -> int:
        """ "Refresh Qualification Links": replace the links with SA's catalogue, and tell every listening
        consumer as the change commits; returns the count."""
        rows = [(str(c["qanCode"]), str(c["id"]), c.get("title")) for c in catalogue]
        with self._pool.connection() as conn, conn.transaction():
            conn.execute("DELETE FROM pics.qualification_link")
            conn.cursor().executemany(
                "INSERT INTO pics.qualification_link (qualification_reference, sa_course_id, title)"
                " VALUES (%s, %s, %s)",
                rows,
            )
            conn.execute("SELECT pg_notify(%s, '')", (NOTICE_CHANNEL,))  # delivered on commit
        with self._lock:
            self._loaded_at = -float("inf")  # read afresh next time
        return len(rows)
