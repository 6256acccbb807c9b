"""The PICS stand-in tables other than the learner's: organisations, officers, roles, qualifications."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from psycopg import sql
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

LEARNER_COLUMNS = (
    "first_name", "surname", "date_of_birth", "uln", "lrn", "email", "address_1", "address_2",
    "address_3", "address_4", "postcode", "ni_number", "phone_number", "mobile_number", "gender",
    "ethnicity", "disability", "system_status", "programme_status", "start_date", "end_date",
    "smart_assessor_id",
    "placement_organisation_id", "planned_otj_hours", "actual_otj_hours", "risk",
)  # fmt: skip

# table → (key columns, other columns)
TABLES: Mapping[str, tuple[Sequence[str], Sequence[str]]] = {
    "learner": (("learner_ident",), LEARNER_COLUMNS),
    "organisation": (("id",), ("name", "phone_number", "edrs_number", "address_1", "address_2", "address_3",
                               "address_4", "postcode", "website", "employer_size", "additional_id")),
    "officer": (("id",), ("first_name", "surname", "email", "phone_number", "mobile_number",
                          "additional_id")),
    "learner_officer": (("learner_ident", "role"), ("officer_id",)),
    "review": (("review_ident",), ("learner_ident", "review_type", "proposed_at", "actual_at",
                                   "attended_status", "reviewer_id", "smart_assessor_system_id")),
    "learner_qualification": (("id",), ("learner_ident", "qualification_reference", "title", "start_date",
                                        "planned_end_date", "actual_end_date", "assessor_id", "elements_done",
                                        "total_elements", "completion_status", "outcome")),
}  # fmt: skip


def _upsert(table: str, keep: Sequence[str] = ()) -> sql.Composed:
    keys, others = TABLES[table]
    columns = (*keys, *others)
    updates = [c for c in others if c not in keep]
    return sql.SQL("INSERT INTO pics.{t} ({cols}) VALUES ({vals}) ON CONFLICT ({keys}) DO UPDATE SET {sets}").format(
        t=sql.Identifier(table),
        cols=sql.SQL(", ").join(map(sql.Identifier, columns)),
        vals=sql.SQL(", ").join(sql.Placeholder(c) for c in columns),
        keys=sql.SQL(", ").join(map(sql.Identifier, keys)),
        sets=sql.SQL(", ").join(sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in updates),
    )


class PicsTables:
    """Writes and reads the PICS stand-in tables."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def upsert(self, table: str, rows: Iterable[Mapping[str, Any]], *, keep: Sequence[str] = ()) -> None:
        """Insert or update rows; columns in ``keep`` are not overwritten on update (e.g. ids SA gave)."""
        keys, others = TABLES[table]
        values = [{c: row.get(c) for c in (*keys, *others)} for row in rows]
        with self._pool.connection() as conn, conn.transaction():
            conn.cursor().executemany(_upsert(table, keep), values)

    def rows(self, table: str, key_prefix: str) -> list[dict[str, Any]]:
        """Every row whose first key column starts with ``key_prefix``."""
        first = TABLES[table][0][0]
        query = sql.SQL("SELECT * FROM pics.{t} WHERE {k} LIKE %s ORDER BY {k}").format(
            t=sql.Identifier(table), k=sql.Identifier(first)
        )
        with self._pool.connection() as conn:
            return conn.cursor(row_factory=dict_row).execute(query, (key_prefix + "%",)).fetchall()
