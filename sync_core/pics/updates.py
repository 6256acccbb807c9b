"""Writes of the daily pull to PICS, each writing nothing when PICS already holds the values (P12)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from psycopg import sql
from psycopg_pool import ConnectionPool

from sync_core.pics.tables import TABLES

# Review Idents are derived from the SA session id, so a review is the same one on any replay.
_REVIEW_NAMESPACE = uuid.UUID("5d1f2f7e-8a43-4d1c-9a57-2f0e6c1b7a90")


def review_ident(sa_system_id: str) -> str:
    """The Review Ident of the review created for an SA session."""
    return str(uuid.uuid5(_REVIEW_NAMESPACE, sa_system_id))


def _changed_update(
    table: str, key: str, fields: Mapping[str, Any], fill: Mapping[str, Any]
) -> tuple[sql.Composed, dict[str, Any]]:
    sets = [sql.SQL("{0} = %({1})s").format(sql.Identifier(c), sql.SQL(f"v_{c}")) for c in fields]
    sets += [sql.SQL("{0} = COALESCE({0}, %({1})s)").format(sql.Identifier(c), sql.SQL(f"f_{c}")) for c in fill]
    differs = [sql.SQL("{0} IS DISTINCT FROM %({1})s").format(sql.Identifier(c), sql.SQL(f"v_{c}")) for c in fields]
    differs += [
        sql.SQL("({0} IS NULL AND %({1})s IS NOT NULL)").format(sql.Identifier(c), sql.SQL(f"f_{c}")) for c in fill
    ]
    query = sql.SQL("UPDATE pics.{t} SET {sets} WHERE {key} = %(key)s AND ({differs})").format(
        t=sql.Identifier(table), sets=sql.SQL(", ").join(sets), key=sql.Identifier(TABLES[table][0][0]),
        differs=sql.SQL(" OR ").join(differs),
    )  # fmt: skip
    params = {
        "key": key,
        **{f"v_{c}": v for c, v in fields.items()},
        **{f"f_{c}": v for c, v in fill.items()},
    }
    return query, params


class PicsUpdates:
    """Implements the PICS executor's port on the PICS stand-in tables."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def set_row(self, table: str, key: str, fields: Mapping[str, Any], fill: Mapping[str, Any]) -> int:
        """Set the fields (and fill the empty ``fill`` fields) of one row; returns 1 when it changed."""
        fill = {c: v for c, v in fill.items() if v is not None}
        if not fields and not fill:
            return 0
        query, params = _changed_update(table, key, fields, fill)
        with self._pool.connection() as conn:
            return conn.execute(query, params).rowcount

    def officer_for_sa(self, sa_assessor_id: str) -> str | None:
        """The PICS officer whose Additional ID is this SA assessor."""
        with self._pool.connection() as conn:
            query = "SELECT id FROM pics.officer WHERE additional_id = %s ORDER BY id LIMIT 1"
            row = conn.execute(query, (sa_assessor_id,)).fetchone()
            return None if row is None else str(row[0])

    def create_officer(self, officer_id: str, fields: Mapping[str, Any], asso_login: str | None) -> int:
        """P5: a new officer (and its ASSO user); returns the rows written."""
        columns = ["id", *fields]
        insert = sql.SQL("INSERT INTO pics.officer ({cols}) VALUES ({vals}) ON CONFLICT (id) DO NOTHING").format(
            cols=sql.SQL(", ").join(map(sql.Identifier, columns)),
            vals=sql.SQL(", ").join(sql.Placeholder() * len(columns)),
        )
        with self._pool.connection() as conn, conn.transaction():
            written = conn.execute(insert, [officer_id, *fields.values()]).rowcount
            if asso_login:
                asso = "INSERT INTO pics.asso_user (officer_id, login) VALUES (%s, %s) ON CONFLICT DO NOTHING"
                written += conn.execute(asso, (officer_id, asso_login)).rowcount
            return written

    def upsert_review(self, sa_system_id: str, on_create: Mapping[str, Any], every_sync: Mapping[str, Any]) -> int:
        """P2–P4: create the review when PICS has none for this session, then set P4's fields."""
        with self._pool.connection() as conn:
            created = conn.execute(
                "INSERT INTO pics.review (review_ident, learner_ident, review_type, attended_status,"
                " smart_assessor_system_id) VALUES (%s, %s, %s, %s, %s)"
                " ON CONFLICT (smart_assessor_system_id) DO NOTHING",
                (review_ident(sa_system_id), on_create["learner_ident"], on_create["review_type"],
                 on_create["attended_status"], sa_system_id),
            ).rowcount  # fmt: skip
        changed = self.set_row("review", self._review_key(sa_system_id), every_sync, {})
        return 1 if created or changed else 0

    def _review_key(self, sa_system_id: str) -> str:
        with self._pool.connection() as conn:
            query = "SELECT review_ident FROM pics.review WHERE smart_assessor_system_id = %s"
            row = conn.execute(query, (sa_system_id,)).fetchone()
            assert row is not None
            return str(row[0])
