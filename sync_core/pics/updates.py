"""Writes of the daily pull to PICS, each writing nothing when PICS already holds the values (P12)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from psycopg import sql
from psycopg_pool import ConnectionPool

from sync_core.pics.tables import TABLES

# Review Idents are derived from (learner, SA session id), so a review is the same one on any replay
# and each learner of a group session gets its own (P2). Reviews made before v2 keep theirs.
_REVIEW_NAMESPACE = uuid.UUID("5d1f2f7e-8a43-4d1c-9a57-2f0e6c1b7a90")

# P5: the officer whose Additional ID is the SA id, else the first with the same Email (any case).
_FIND_OFFICER = """
    SELECT id FROM pics.officer
    WHERE additional_id = %(sa)s OR lower(btrim(email)) = lower(btrim(%(email)s))
    ORDER BY additional_id IS NOT DISTINCT FROM %(sa)s DESC, id
    LIMIT 1
"""
_LINK_OFFICER = "UPDATE pics.officer SET additional_id = %s WHERE id = %s AND coalesce(btrim(additional_id), '') = ''"
_INSERT_REVIEW = """
    INSERT INTO pics.review (review_ident, learner_ident, review_type, attended_status, smart_assessor_system_id)
    VALUES (%s, %s, %s, %s, %s)
    ON CONFLICT (learner_ident, smart_assessor_system_id) DO NOTHING
"""
_REVIEW_KEY = "SELECT review_ident FROM pics.review WHERE learner_ident = %s AND smart_assessor_system_id = %s"


def review_ident(learner_ident: str, sa_system_id: str) -> str:
    """The Review Ident of the review created for a learner's SA session."""
    return str(uuid.uuid5(_REVIEW_NAMESPACE, f"{learner_ident}|{sa_system_id}"))


def _changed_update(table: str, key: str, fields: Mapping[str, Any]) -> tuple[sql.Composed, dict[str, Any]]:
    """P12: the row updated only when a value differs; it returns, per field, whether that one changed."""
    column = sql.Identifier(TABLES[table][0][0])
    value = {c: sql.SQL(f"%(v_{c})s") for c in fields}
    sets = [sql.SQL("{0} = {1}").format(sql.Identifier(c), value[c]) for c in fields]
    differs = [sql.SQL("old.{0} IS DISTINCT FROM {1}").format(sql.Identifier(c), value[c]) for c in fields]
    changed = [sql.SQL("old.{0} IS DISTINCT FROM updated.{0}").format(sql.Identifier(c)) for c in fields]
    query = sql.SQL(
        "WITH old AS (SELECT * FROM pics.{t} WHERE {key} = %(key)s FOR UPDATE)"
        " UPDATE pics.{t} AS updated SET {sets} FROM old WHERE updated.{key} = old.{key} AND ({differs})"
        " RETURNING {changed}"
    ).format(
        t=sql.Identifier(table), sets=sql.SQL(", ").join(sets), key=column,
        differs=sql.SQL(" OR ").join(differs), changed=sql.SQL(", ").join(changed),
    )  # fmt: skip
    return query, {"key": key, **{f"v_{c}": v for c, v in fields.items()}}


class PicsUpdates:
    """Implements the PICS executor's port on the PICS stand-in tables."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def set_row(self, table: str, key: str, fields: Mapping[str, Any]) -> tuple[str, ...]:
        """Set the fields of one row; returns those whose value changed (P12: equal values write nothing)."""
        if not fields:
            return ()
        query, params = _changed_update(table, key, fields)
        with self._pool.connection() as conn:
            row = conn.execute(query, params).fetchone()
        return () if row is None else tuple(name for name, changed in zip(fields, row, strict=True) if changed)

    def find_officer(self, sa_assessor_id: str, email: str | None) -> str | None:
        """P5: the PICS officer of this SA assessor: by Additional ID, else by Email (case-insensitive)."""
        with self._pool.connection() as conn:
            row = conn.execute(_FIND_OFFICER, {"sa": sa_assessor_id, "email": email}).fetchone()
            return None if row is None else str(row[0])

    def link_officer(self, officer_id: str, sa_assessor_id: str) -> int:
        """P5: write the SA id to the officer's Additional ID when it is blank; returns the rows written."""
        with self._pool.connection() as conn:
            return conn.execute(_LINK_OFFICER, (sa_assessor_id, officer_id)).rowcount

    def create_officer(self, officer_id: str, fields: Mapping[str, Any], asso_login: str | None) -> int:
        """P5: a new officer and, only when this call created it, its ASSO user; returns the rows written."""
        columns = ["id", *fields]
        insert = sql.SQL("INSERT INTO pics.officer ({cols}) VALUES ({vals}) ON CONFLICT (id) DO NOTHING").format(
            cols=sql.SQL(", ").join(map(sql.Identifier, columns)),
            vals=sql.SQL(", ").join(sql.Placeholder() * len(columns)),
        )
        with self._pool.connection() as conn, conn.transaction():
            written = conn.execute(insert, [officer_id, *fields.values()]).rowcount
            if written and asso_login:  # S11: once, for the officer created here
                asso = "INSERT INTO pics.asso_user (officer_id, login) VALUES (%s, %s) ON CONFLICT DO NOTHING"
                written += conn.execute(asso, (officer_id, asso_login)).rowcount
            return written

    def upsert_review(
        self, learner_ident: str, sa_system_id: str, on_create: Mapping[str, Any], every_sync: Mapping[str, Any]
    ) -> int:
        """P2–P4: create the learner's review of this session when PICS has none, then set P4's fields."""
        with self._pool.connection() as conn:
            created = conn.execute(
                _INSERT_REVIEW,
                (review_ident(learner_ident, sa_system_id), learner_ident, on_create["review_type"],
                 on_create["attended_status"], sa_system_id),
            ).rowcount  # fmt: skip
            row = conn.execute(_REVIEW_KEY, (learner_ident, sa_system_id)).fetchone()
        assert row is not None  # created above, or already there: reviews are never deleted here
        changed = self.set_row("review", str(row[0]), every_sync)
        return 1 if created or changed else 0
