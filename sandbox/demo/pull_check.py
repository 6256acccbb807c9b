"""Did the daily pull bring SA's truth into PICS? Compares PICS rows with SA under the settings.

For each eligible learner: Actual OTJ Hours (P6), Risk (P8 with S5), Elements Done of each course
(P1), and one PICS review per SA session of a mapped type with SA's attended status (P2–P4).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from sync_core.pics.eligible import EligibleLearners
from sync_core.rules.pulled import RISK
from sync_core.rules.reviews import ATTENDED_STATUS
from sync_core.settings import IntegrationSettings
from sync_core.smart_assessor.client import SaClient


def _pics_rows(pool: ConnectionPool, idents: list[str]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    with pool.connection() as conn:
        cur = conn.cursor(row_factory=dict_row)
        learners = {
            r["learner_ident"]: r
            for r in cur.execute("SELECT * FROM pics.learner WHERE learner_ident = ANY(%s)", (idents,))
        }
        courses = {
            r["id"]: r
            for r in cur.execute("SELECT * FROM pics.learner_qualification WHERE learner_ident = ANY(%s)", (idents,))
        }
        reviews = {
            r["smart_assessor_system_id"]: r
            for r in cur.execute("SELECT * FROM pics.review WHERE learner_ident = ANY(%s)", (idents,))
        }
    return learners, courses, reviews


def _learner_mismatches(sa: SaClient, settings: IntegrationSettings, row: Mapping[str, Any]) -> int:
    sa_id, wrong = row["smart_assessor_id"], 0
    held = row["actual_otj_hours"]
    wrong += held is None or abs(float(held) - float(sa.get_otj(sa_id)["actualHours"])) > 1e-6
    if settings.risk_from_smart_coach:
        wrong += row["risk"] != RISK[sa.get_smart_coach(sa_id)["band"]]
    return int(wrong)


def _review_mismatches(
    settings: IntegrationSettings, sessions: list[dict[str, Any]], reviews: Mapping[str, Any]
) -> int:
    wrong = 0
    for session in sessions:
        review = reviews.get(str(session["id"]))
        if session["type"] not in settings.review_types:
            wrong += review is not None
            continue
        expected_status = ATTENDED_STATUS.get(session["status"], "Unknown")
        wrong += review is None or review["attended_status"] != expected_status
    return wrong


def check_pull(pool: ConnectionPool, sa: SaClient, settings: IntegrationSettings, run_date: date) -> int:
    """How many pulled PICS values differ from SA for the learners eligible on ``run_date``."""
    eligible = EligibleLearners(pool).daily(run_date)
    learners, courses, reviews = _pics_rows(pool, [learner["learner_ident"] for learner in eligible])
    wrong = 0
    for learner in eligible:
        sa_id = learner["smart_assessor_id"]
        wrong += _learner_mismatches(sa, settings, learners[learner["learner_ident"]])
        for enrolment in sa.list_enrolments(sa_id):
            course = courses.get(enrolment["misId"])
            wrong += course is None or course["elements_done"] != enrolment["elementsSignedOff"]
        wrong += _review_mismatches(settings, sa.list_sessions(sa_id), reviews)
    return wrong
