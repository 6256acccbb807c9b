"""The PICS learner table (DOMAIN.md §6)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from sync_core.pics.tables import PicsTables


class LearnerRepository:
    """Reads and writes PICS learners."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def upsert(self, learners: Iterable[Mapping[str, Any]], *, keep: Sequence[str] = ()) -> None:
        """Insert or replace learners; missing columns become null, columns in ``keep`` stay as they are."""
        PicsTables(self._pool).upsert("learner", learners, keep=keep)

    def get(self, learner_ident: str) -> dict[str, Any] | None:
        """One learner by Learner Ident."""
        with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            return cur.execute("SELECT * FROM pics.learner WHERE learner_ident = %s", (learner_ident,)).fetchone()

    def with_prefix(self, prefix: str) -> list[dict[str, Any]]:
        """Every learner whose ident starts with ``prefix``, in ident order."""
        with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            query = "SELECT * FROM pics.learner WHERE learner_ident LIKE %s ORDER BY learner_ident"
            return cur.execute(query, (prefix.replace("%", r"\%") + "%",)).fetchall()
