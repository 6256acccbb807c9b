"""Who the daily pull reads: Y1 and Y2 of DOMAIN.md §2, and the records linked to them (P10, P11, D1), as
queries on the PICS tables."""

from __future__ import annotations

from datetime import date
from typing import Any

from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from sync_core.rules.eligibility import IN_LEARNING, LIVE, ended_window

# Y1: Live, enrolled in SA, and in learning or ended within the calendar month before the run.
_ELIGIBLE = """
    SELECT learner_ident, smart_assessor_id FROM pics.learner
    WHERE system_status = %(live)s AND smart_assessor_id IS NOT NULL
      AND (programme_status = %(learning)s OR end_date BETWEEN %(since)s AND %(on)s)
      AND learner_ident > %(after)s
    ORDER BY learner_ident
"""

# An officer is linked to a learner by a role (learner_officer) or as a qualification's assessor (U5).
_LINKED_OFFICERS = """
    SELECT o.id, o.additional_id FROM pics.officer o
    WHERE o.additional_id IS NOT NULL AND o.id IN (
        SELECT officer_id FROM pics.learner_officer WHERE learner_ident = ANY(%s)
        UNION SELECT assessor_id FROM pics.learner_qualification WHERE learner_ident = ANY(%s)
    )
    ORDER BY o.id
"""


class EligibleLearners:
    """Reads the learners a pull covers."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def daily(self, on: date, *, after: str = "") -> list[dict[str, Any]]:
        """Y1/Y2: the learners eligible on the run date ``on`` (PICS's day), in Learner Ident order, those after
        ``after`` only."""
        since, until = ended_window(on)
        params = {"live": LIVE, "learning": IN_LEARNING, "since": since, "on": until, "after": after}
        with self._pool.connection() as conn:
            return conn.cursor(row_factory=dict_row).execute(_ELIGIBLE, params).fetchall()

    def one(self, learner_ident: str) -> dict[str, Any] | None:
        """Y2: a refresh of one learner covers any Live learner in SA."""
        query = (
            "SELECT learner_ident, smart_assessor_id FROM pics.learner"
            " WHERE learner_ident = %s AND system_status = %s AND smart_assessor_id IS NOT NULL"
        )
        with self._pool.connection() as conn:
            return conn.cursor(row_factory=dict_row).execute(query, (learner_ident, LIVE)).fetchone()

    def linked_records(self, idents: list[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(officers, organisations) in SA that these learners are linked to, each once (P10, P11, D1): the
        learners' officers in any role and their qualifications' assessors; their placements."""
        with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            officers = cur.execute(_LINKED_OFFICERS, (idents, idents)).fetchall()
            organisations = cur.execute(
                "SELECT DISTINCT g.id, g.additional_id FROM pics.organisation g JOIN pics.learner l"
                " ON l.placement_organisation_id = g.id WHERE l.learner_ident = ANY(%s) AND g.additional_id IS NOT NULL"
                " ORDER BY g.id",
                (idents,),
            ).fetchall()
        return officers, organisations
