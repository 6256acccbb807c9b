"""Qualification links (DOMAIN.md §6): Qualification Reference → SA course, from SA's catalogue."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from psycopg_pool import ConnectionPool


class QualificationLinks:
    """Reads and refreshes ``pics.qualification_link``."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def course_id(self, qualification_reference: str) -> str | None:
        """The SA course of a Qualification Reference, when SA supports it (U5)."""
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT sa_course_id FROM pics.qualification_link WHERE qualification_reference = %s",
                (qualification_reference,),
            ).fetchone()
            return None if row is None else str(row[0])

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
        return len(rows)
