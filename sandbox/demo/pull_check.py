"""Did the daily pull bring SA's truth into PICS, and only what DOMAIN lets it bring?

PICS before the pull (a snapshot) and after it are compared with SA under the profile's settings. For
each learner eligible on the run date (Y1, from the PICS rows in plain Python): Actual OTJ Hours (P6),
Risk (P8: S5 on, the band's colour; no Smart Coach score leaves it), demographics (P9 with S6 = Update
PICS…, gender with S7, ethnicity with S8), each course's Elements Done and Total Elements (P1) and
dates (P7 with S16 = Update PICS…), one review per mapped session (P2–P4); each field P7 or P9 changes is
a difference the drift report must show as pulled (D1, D3). ULN and disability never
move (L2, P9); an SA blank never overwrites PICS (P13). A learner that is not eligible (not Live, not in
SA, ended over a month ago, on a break) keeps every pulled field as it was. Officers and organisations:
``pull_records``. Examples name record ids and field names only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any

from sandbox.demo import oracle_tables as t
from sandbox.demo.drift_check import Drift
from sandbox.demo.pics_rows import PicsRows
from sync_core.errors import SaNotFound
from sync_core.smart_assessor.client import SaClient

EXAMPLES = 10
LEARNER_PULLED = ("actual_otj_hours", "risk", *t.L1_FIELDS, "uln", "gender", "ethnicity", "disability")
COURSE_PULLED = ("elements_done", "total_elements", "start_date", "planned_end_date")


@dataclass
class PullCheck:
    """The outcome of the comparison."""

    eligible: int = 0
    mismatches: int = 0
    checked: int = 0
    examples: list[str] = field(default_factory=list)
    session_assessors: set[str] = field(default_factory=set)  # SA assessors of the mapped sessions pulled
    pulled: list[Drift] = field(default_factory=list)  # D1, D3: each field the pull should change in PICS

    def expect(self, what: str, name: str, right: bool) -> None:
        """One expectation about one record's field."""
        self.checked += 1
        if not right:
            self.mismatches += 1
            if len(self.examples) < EXAMPLES:
                self.examples.append(f"{what}: {name}")

    def pulling(self, entity: str, pics_id: str, sa_field: str, expected: Any, before: Any) -> None:
        """D1 (Pull direction): a field the pull should write, to be found in the drift report as pulled."""
        if not same(expected, before):
            self.pulled.append(Drift(entity, pics_id, sa_field, "pull", "pulled"))


@dataclass
class Pull:
    """What a check compares: SA, PICS before and after, the settings, the run date."""

    sa: SaClient
    settings: t.Settings
    before: PicsRows
    after: PicsRows
    run_date: date

    @cached_property
    def linked(self) -> dict[str, list[str]]:
        """SA assessor id → the PICS officers linked to it after the pull."""
        return self.after.sa_officers()

    @cached_property
    def sessions_reviewed(self) -> dict[str, set[str]]:
        """Learner Ident → the SA session ids its PICS reviews hold after the pull."""
        found: dict[str, set[str]] = {}
        for ident, sid in self.after.reviews:
            found.setdefault(ident, set()).add(sid)
        return found


def same(a: Any, b: Any) -> bool:
    """Equal as PICS and SA write them: moments as instants, dates as ISO text, numbers within a millionth."""
    if isinstance(a, datetime) or isinstance(b, datetime):
        return _moment(a) == _moment(b)
    a, b = t.wire(a), t.wire(b)
    if _number(a) and _number(b):
        return abs(float(a) - float(b)) < 1e-6
    return bool(a == b)


def _number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _moment(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def pulled(sa_value: Any, before: Any) -> Any:
    """P13: what PICS holds after a pull of ``sa_value``: SA's value, unless SA's is blank."""
    return before if t.blank(sa_value) else sa_value


def check_learners(check: PullCheck, pull: Pull) -> None:
    """Every learner of the run: eligible ones pulled, the others untouched."""
    for ident, before in sorted(pull.before.learners.items()):
        if t.eligible(before, pull.run_date):
            check.eligible += 1
            _eligible(check, pull, ident, before)
        else:
            _untouched(check, pull, ident)


def _untouched(check: PullCheck, pull: Pull, ident: str) -> None:
    """Y2: a learner the pull does not cover keeps every pulled field, course and review."""
    what = f"learner {ident} (not eligible)"
    before, after = pull.before.learners[ident], pull.after.learners[ident]
    for name in LEARNER_PULLED:
        check.expect(what, name, same(after[name], before[name]))
    for qid, course in pull.before.qualifications.items():
        if course["learner_ident"] == ident:
            for name in COURSE_PULLED:
                check.expect(
                    f"course {qid} (not eligible)", name, same(pull.after.qualifications[qid][name], course[name])
                )
    had = {sid for learner_ident, sid in pull.before.reviews if learner_ident == ident}
    check.expect(what, "reviews (none pulled)", pull.sessions_reviewed.get(ident, set()) == had)


def _eligible(check: PullCheck, pull: Pull, ident: str, before: Mapping[str, Any]) -> None:
    sa_id, after, s = before["smart_assessor_id"], pull.after.learners[ident], pull.settings
    what = f"learner {ident}"
    check.expect(what, "actual_otj_hours (P6)", same(after["actual_otj_hours"], pull.sa.get_otj(sa_id)["actualHours"]))
    check.expect(what, "risk (P8)", after["risk"] == _risk(pull, sa_id, before["risk"]))
    for name in t.NEVER_PULLED:  # L2, P9
        check.expect(what, f"{name} (never pulled)", same(after[name], before[name]))
    held = pull.sa.get_learner(sa_id)
    for sa_name, pics, when in t.PULLED_LEARNER:  # P9, P13
        pulling = s.mode(t.S6) == t.PULL and when(s)
        expected = pulled(held.get(sa_name), before[pics]) if pulling else before[pics]
        check.expect(what, f"{pics} (P9)" if pulling else f"{pics} (not pulled)", same(after[pics], expected))
        check.pulling("learner", ident, sa_name, expected, before[pics])
    _courses(check, pull, ident, sa_id)
    _reviews(check, pull, ident, pull.sa.list_sessions(sa_id))


def _risk(pull: Pull, sa_id: str, before: str | None) -> str | None:
    """P8: with S5 on, the band's colour; no Smart Coach score (404, or none yet) or S5 off leaves Risk as it was."""
    if not pull.settings.on("Update PICS Risk using Smart Coach Score"):
        return before
    try:
        band = pull.sa.get_smart_coach(sa_id).get("band")
    except SaNotFound:  # not in Smart Coach (v2)
        return before
    return t.RISK.get(str(band), before)  # no score yet (v2), or a band SA should not send (P14): as it was


def _courses(check: PullCheck, pull: Pull, ident: str, sa_id: str) -> None:
    """P1 (v2): Elements Done and Total Elements from SA; P7 with S16 = Update PICS…, else dates stay."""
    dates_pulled = pull.settings.mode(t.S16) == t.PULL
    enrolments = {e["misId"]: e for e in pull.sa.list_enrolments(sa_id)}
    for qid, before in pull.before.qualifications.items():
        if before["learner_ident"] != ident:
            continue
        after, held, what = pull.after.qualifications[qid], enrolments.get(qid), f"course {qid}"
        if held is None:  # no SA course (unsupported): nothing to pull
            for name in COURSE_PULLED:
                check.expect(f"{what} (not in SA)", name, same(after[name], before[name]))
            continue
        check.expect(what, "elements_done (P1)", after["elements_done"] == held["elementsSignedOff"])
        total = pulled(held.get("elementsTotal"), before["total_elements"])
        check.expect(what, "total_elements (P1 v2)", after["total_elements"] == total)
        for pics, sa_name in t.COURSE_DATES.items():
            expected = pulled(held.get(sa_name), before[pics]) if dates_pulled else before[pics]
            check.expect(
                what, f"{pics} (P7)" if dates_pulled else f"{pics} (pushed, not pulled)", same(after[pics], expected)
            )
            check.pulling("enrolment", qid, sa_name, expected, before[pics])


def _reviews(check: PullCheck, pull: Pull, ident: str, sessions: list[dict[str, Any]]) -> None:
    """P2–P4: one review of the learner per session of a mapped type, none for another (a group session too)."""
    mapped = [s for s in sessions if s["type"] in pull.settings.review_types]
    for session in mapped:
        sid, what = str(session["id"]), f"review of {ident} for session {session['id']}"
        reviews = pull.after.reviews.get((ident, sid), [])
        check.expect(what, f"{len(reviews)} reviews, one expected (P2)", len(reviews) == 1)
        if len(reviews) == 1:
            had = pull.before.reviews.get((ident, sid))
            prior = had[0] if had else None
            _review(check, pull, what, session, reviews[0], prior)
    for sid in sorted(pull.sessions_reviewed.get(ident, set()) - {str(s["id"]) for s in mapped}):
        check.expect(f"review of {ident} for session {sid}", "no mapped SA session (P2)", False)


def _review(check: PullCheck, pull: Pull, what: str, session: Mapping[str, Any], review: Any, prior: Any) -> None:
    """P3, P4: type, dates, attended status, reviewer."""
    check.expect(what, "review_type (P3/P4)", review["review_type"] == pull.settings.review_types[session["type"]])
    check.expect(what, "proposed_at (P4)", same(review["proposed_at"], session["start"]))
    attended = session["status"] == "attended"
    actual = (session.get("actualStart") or session["start"]) if attended else (prior and prior["actual_at"])
    check.expect(what, "actual_at (P4)", same(review["actual_at"], actual))
    kept = prior["attended_status"] if prior else t.UNKNOWN  # planned: as it is (P3: Unknown when created)
    check.expect(
        what, "attended_status (P4)", review["attended_status"] == t.ATTENDED_STATUS.get(session["status"], kept)
    )
    assessor = session.get("assessorId")
    linked = pull.linked.get(str(assessor), []) if assessor is not None else [None]
    if assessor is not None:
        check.session_assessors.add(str(assessor))
    check.expect(what, "reviewer_id (P4/P5)", len(linked) == 1 and review["reviewer_id"] == linked[0])
