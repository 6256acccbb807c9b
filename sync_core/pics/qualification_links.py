"""Qualification links (DOMAIN.md §6): Qualification Reference → SA course, from SA's catalogue."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

from psycopg_pool import ConnectionPool


class QualificationLinks:
    """Reads and refreshes ``pics.qualification_link``; reads are remembered for ``ttl`` seconds,
    since the links change only when an operator refreshes them."""

    def __init__(self, pool: ConnectionPool, ttl: float = 60.0) -> None:
        self._pool, self._ttl = pool, ttl
        self._cache: dict[str, str | None] = {}
        self._loaded_at = 0.0

    def course_id(self, qualification_reference: str) -> str | None:
        """The SA course of a Qualification Reference, when SA supports it (U5)."""
        if time.monotonic() - self._loaded_at > self._ttl:
            self._cache = self._load()  # one read of the whole (small) table, swapped in at once
            self._loaded_at = time.monotonic()
        return self._cache.get(qualification_reference)

    def _load(self) -> dict[str, str | None]:
        with self._pool.connection() as conn:
            rows = conn.execute("SELECT qualification_reference, sa_course_id FROM pics.qualification_link")
            return {str(ref): str(course) for ref, course in rows}

    def refresh(self, catalogue: Iterable[Mapping[str, Any]]) -> int:
        """ "Refresh Qualification Links": replace the links with SA's catalogue; returns the count."""
        rows = [(str(c["qanCode"]), str(c["id"]), c.get("title")) for c in catalogue]
        with self._pool.connection() as conn, conn.transaction():
            conn.execute("DELETE FROM pics.qualification_link")
            conn.cursor().executemany(
                "INSERT INTO pics.qualification_link (qualification_reference, sa_course_id, title)"
                " VALUES (%s, %s, %s)",
                rows,
            )
        self._loaded_at = 0.0  # read afresh next time
        return len(rows)
