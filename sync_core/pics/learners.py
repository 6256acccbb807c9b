"""The PICS learner table (DOMAIN.md §6)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from psycopg import sql
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

COLUMNS = (
    "learner_ident", "first_name", "surname", "date_of_birth", "uln", "lrn", "email",
    "address_1", "address_2", "address_3", "address_4", "postcode", "ni_number", "phone_number",
    "mobile_number", "gender", "ethnicity", "disability", "system_status", "programme_status",
    "start_date", "end_date", "smart_assessor_id", "planned_otj_hours", "actual_otj_hours", "risk",
)  # fmt: skip

_UPSERT = sql.SQL(
    "INSERT INTO pics.learner ({cols}) VALUES ({vals}) ON CONFLICT (learner_ident) DO UPDATE SET {sets}"
).format(
    cols=sql.SQL(", ").join(map(sql.Identifier, COLUMNS)),
    vals=sql.SQL(", ").join(sql.Placeholder(c) for c in COLUMNS),
    sets=sql.SQL(", ").join(sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in COLUMNS[1:]),
)


class LearnerRepository:
    """Reads and writes PICS learners."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def upsert(self, learners: Iterable[Mapping[str, Any]]) -> None:
        """Insert or replace learners (every column of ``COLUMNS``; missing ones become null)."""
        rows = [{c: learner.get(c) for c in COLUMNS} for learner in learners]
        with self._pool.connection() as conn:
            conn.cursor().executemany(_UPSERT, rows)

    def get(self, learner_ident: str) -> dict[str, Any] | None:
        """One learner by Learner Ident."""
        with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            return cur.execute(
                "SELECT * FROM pics.learner WHERE learner_ident = %s", (learner_ident,)
            ).fetchone()

    def with_prefix(self, prefix: str) -> list[dict[str, Any]]:
        """Every learner whose ident starts with ``prefix``, in ident order."""
        with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            query = "SELECT * FROM pics.learner WHERE learner_ident LIKE %s ORDER BY learner_ident"
            return cur.execute(query, (prefix.replace("%", r"\%") + "%",)).fetchall()
