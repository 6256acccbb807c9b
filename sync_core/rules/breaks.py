"""A break in learning and the return from it: rules B1 and B2 of DOMAIN.md §4.

B1  start: SA learner status = break in learning; each open course = break in learning. PICS has
    already set those aims to Completion Status 6 with Actual End Date = the break start, so the
    courses are the qualifications in that state.
B2  return: the SA learner and those courses go back to in training.
Y2 (v2): like every pushed change, a break applies to any Live learner in SA.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sync_core.fields import Lookups, wire
from sync_core.plan import Plan, SaId, Skip, Step, update_enrolment, update_learner
from sync_core.rules.courses import CONTINUING
from sync_core.rules.gate import through_gate
from sync_core.rules.qualification import has_course
from sync_core.settings import IntegrationSettings

ON_BREAK = 6


def plan_break_start(sa_id: SaId, payload: Mapping[str, Any], lookups: Lookups) -> tuple[Step, ...]:
    """B1."""
    on_break = {
        "status": "break_in_learning",
        "completionStatus": ON_BREAK,
        "actualEndDate": wire(payload["break_date"]),
    }
    courses = tuple(
        update_enrolment(sa_id, q["qualification_id"], on_break)
        for q in payload.get("qualifications", ())
        if q.get("completion_status") == ON_BREAK and q.get("actual_end_date") == payload["break_date"]
        and has_course(q, lookups)
    )  # fmt: skip
    return (update_learner(sa_id, {"status": "break_in_learning"}), *courses)


def plan_break_return(sa_id: SaId, payload: Mapping[str, Any], lookups: Lookups) -> tuple[Step, ...]:
    """B2."""
    back = {"status": "in_training", "completionStatus": CONTINUING, "actualEndDate": None}
    courses = tuple(
        update_enrolment(sa_id, q["qualification_id"], back)
        for q in payload.get("qualifications", ())
        if q.get("completion_status") in (None, CONTINUING) and has_course(q, lookups)
    )  # fmt: skip
    return (update_learner(sa_id, {"status": "active"}), *courses)


def plan_break_in_learning(
    payload: Mapping[str, Any], settings: IntegrationSettings, lookups: Lookups, _on: date
) -> Plan:
    """BreakInLearning → B1 (phase "start") or B2 (phase "return")."""

    def phase(sa_id: SaId) -> Plan:
        if payload["phase"] == "start":
            return plan_break_start(sa_id, payload, lookups)
        if payload["phase"] == "return":
            return plan_break_return(sa_id, payload, lookups)
        return (Skip(f"unknown break phase {payload['phase']!r}", rule="B1"),)

    return through_gate(payload["learner"], lookups, settings, phase)
