"""The PICS rows the oracle reads, by plain SQL: a snapshot of one profile's records.

Learners, their qualifications, roles and reviews, and the organisations with the profile's prefix;
every officer and ASSO user (the pull may create officers of its own ids, P5).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

Row = dict[str, Any]
_LIKE = "LIKE %(prefix)s"


@dataclass(frozen=True)
class PicsRows:
    """One moment's PICS rows."""

    learners: dict[str, Row]  # Learner Ident → row
    qualifications: dict[str, Row]  # learner qualification id → row
    roles: dict[str, dict[str, str]]  # Learner Ident → role → officer id
    organisations: dict[str, Row]
    officers: dict[str, Row]  # every officer
    reviews: dict[tuple[str, str], list[Row]]  # (Learner Ident, Smart Assessor System ID) → reviews
    asso_users: dict[str, int]  # officer id → ASSO users

    def sa_officers(self) -> dict[str, list[str]]:
        """Additional ID (an SA assessor id) → the PICS officers holding it."""
        found: dict[str, list[str]] = defaultdict(list)
        for officer in self.officers.values():
            if officer["additional_id"]:
                found[str(officer["additional_id"])].append(officer["id"])
        return found


def _select(cur: Any, query: str, prefix: str) -> list[Row]:
    return list(cur.execute(query, {"prefix": prefix.replace("%", r"\%") + "%"}).fetchall())


def read_rows(pool: ConnectionPool, prefix: str) -> PicsRows:
    """The rows of the records whose ids start with ``prefix`` (officers and ASSO users: all)."""
    with pool.connection() as conn:
        cur = conn.cursor(row_factory=dict_row)
        learners = _select(cur, f"SELECT * FROM pics.learner WHERE learner_ident {_LIKE}", prefix)
        qualifications = _select(cur, f"SELECT * FROM pics.learner_qualification WHERE learner_ident {_LIKE}", prefix)
        roles = _select(cur, f"SELECT * FROM pics.learner_officer WHERE learner_ident {_LIKE}", prefix)
        organisations = _select(cur, f"SELECT * FROM pics.organisation WHERE id {_LIKE}", prefix)
        reviews = _select(cur, f"SELECT * FROM pics.review WHERE learner_ident {_LIKE}", prefix)
        officers = cur.execute("SELECT * FROM pics.officer").fetchall()
        asso = cur.execute("SELECT officer_id, count(*) AS n FROM pics.asso_user GROUP BY officer_id").fetchall()
    by_learner: dict[str, dict[str, str]] = defaultdict(dict)
    for role in roles:
        by_learner[role["learner_ident"]][role["role"]] = role["officer_id"]
    by_session: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for review in reviews:
        by_session[review["learner_ident"], str(review["smart_assessor_system_id"])].append(review)
    return PicsRows(
        learners={r["learner_ident"]: r for r in learners},
        qualifications={r["id"]: r for r in qualifications},
        roles=dict(by_learner),
        organisations={r["id"]: r for r in organisations},
        officers={r["id"]: r for r in officers},
        reviews=dict(by_session),
        asso_users={r["officer_id"]: int(r["n"]) for r in asso},
    )
