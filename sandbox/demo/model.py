"""The oracle's model of Smart Assessor: DOMAIN v2's push rules, from ``oracle_tables``, folded over the
events the demo sent, in their order.

Each event first gets its fate (``fates``): applied, skipped (S1 off, X2 not in SA, Y2 not Live), or
"may skip" when the settings leave nothing to do (L5, E1, Q1, G1, O1, U5). An applied event then changes
the model as the rule says (U1–U9, L1–L5, E1, Q1, Q2, A1, B1, B2, R1, G1, O1, and the daily run's
reconcile requests, D1: R1 for a learner, G1 / O1 for its employer and assessors, each on the record PICS
holds when it is processed, the payload the demo gives them). What no applied event
touched keeps the value SA had before: the upload's (U1) under S6 = None, the first employer under S13
off, an assessor PICS has no officer for (Q1 v2). Links are ``Ref``s to PICS ids, resolved through the
Additional ID / Smart Assessor ID PICS holds when SA is compared.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sandbox.demo import oracle_tables as t
from sandbox.demo.fates import APPLY, MAY_SKIP, SKIP, Fate, fate_of
from sandbox.demo.journal import Sent

__all__ = ["APPLY", "MAY_SKIP", "SKIP", "Fate", "LearnerModel", "Ref", "SaModel", "fold_all"]


@dataclass(frozen=True)
class Ref:
    """A link to a PICS record's SA record: ("employer" | "assessor", PICS id)."""

    kind: str
    pics_id: str


@dataclass
class LearnerModel:
    """What SA should hold for one learner: its fields and its courses, by SA field name."""

    fields: dict[str, Any]
    courses: dict[str, dict[str, Any]] = field(default_factory=dict)  # PICS qualification id → enrolment


def officer_in(officers: Any, role: str | None) -> Mapping[str, Any] | None:
    """The officer the learner has in ``role``, if any."""
    return next((o["officer"] for o in officers or () if role and o["role"] == role), None)


def _ref(kind: str, record: Mapping[str, Any] | None, key: str) -> Ref | None:
    return None if record is None else Ref(kind, str(record[key]))


@dataclass
class SaModel:
    """SA as DOMAIN says it should be after the events folded in so far."""

    settings: t.Settings
    catalogue: Mapping[str, int]  # qanCode → SA course id: the qualifications SA supports
    learners: dict[str, LearnerModel] = field(default_factory=dict)
    employers: dict[str, dict[str, Any]] = field(default_factory=dict)  # PICS organisation id → SA employer
    assessors: dict[str, dict[str, Any]] = field(default_factory=dict)  # PICS officer id → SA assessor
    fates: dict[str, Fate] = field(default_factory=dict)  # event id → fate

    def fold(self, sent: Sent) -> Fate:
        """Give the event its fate and, when applied, apply it."""
        fate = fate_of(self, sent)
        self.fates[sent.event_id] = fate
        if fate.expect == APPLY:
            _APPLY[sent.name](self, sent.payload)
        return fate

    # --- the records SA holds ---

    def ensure_employer(self, organisation: Mapping[str, Any] | None) -> Ref | None:
        """U2: the organisation's SA employer, created from its after-image if SA has none yet."""
        if organisation is not None and organisation["organisation_id"] not in self.employers:
            created = {sa: t.wire(organisation.get(pics)) for pics, sa in t.EMPLOYER_FIELDS.items()}
            self.employers[organisation["organisation_id"]] = {"misId": organisation["organisation_id"], **created}
        return _ref("employer", organisation, "organisation_id")

    def ensure_assessor(self, officer: Mapping[str, Any] | None) -> Ref | None:
        """U3: the officer's SA assessor, created from its after-image if SA has none yet."""
        if officer is not None and officer["officer_id"] not in self.assessors:
            created = {sa: t.wire(officer.get(pics)) for pics, sa in t.OFFICER_FIELDS.items()}
            self.assessors[officer["officer_id"]] = {"misId": officer["officer_id"], **created}
        return _ref("assessor", officer, "officer_id")

    def supported(self, qualification: Mapping[str, Any]) -> bool:
        return qualification["qualification_reference"] in self.catalogue

    def enrolled(self, payload: Mapping[str, Any]) -> bool:
        learner = self.learners.get(payload["learner"]["learner_ident"])
        return learner is not None and payload["qualification"]["qualification_id"] in learner.courses


# --- what an applied event does to SA ---


def _details(m: SaModel, learner_model: LearnerModel, learner: Mapping[str, Any]) -> None:
    """L1–L4: the learner fields the settings push, PICS's values."""
    for pics, sa, when in t.LEARNER_PUSH:
        if when(m.settings):
            learner_model.fields[sa] = t.wire(learner.get(pics))


def _closure(qualification: Mapping[str, Any]) -> dict[str, Any]:
    """A1: actual end date, completion status, outcome, and the course status the table gives."""
    status = qualification.get("completion_status")
    return {
        "actualEndDate": t.wire(qualification.get("actual_end_date")),
        "completionStatus": status,
        "outcome": qualification.get("outcome"),
        "status": t.COURSE_STATUS[status or t.CONTINUING],
    }


def _enrol(m: SaModel, learner: LearnerModel, q: Mapping[str, Any], main: Any, second: Any) -> None:
    """U5 (v2): the course with its dates, assessor (the qualification's own, else the Main Officer),
    second assessor (U4) and, when PICS has closed it already, its closure."""
    m.ensure_assessor(q.get("assessor"))
    learner.courses[q["qualification_id"]] = {
        "courseId": m.catalogue[q["qualification_reference"]],
        **{sa: t.wire(q.get(pics)) for pics, sa in t.COURSE_DATES.items()},
        "assessorId": m.ensure_assessor(q.get("assessor") or main),
        "secondAssessorId": m.ensure_assessor(second),
        **_closure(q),
    }


def _assessors(m: SaModel, course: dict[str, Any], q: Mapping[str, Any], main: Any, second: Any) -> None:
    """Q1 (v2): assessor and second assessor set when PICS has an officer for them, never cleared."""
    assessor = q.get("assessor") or main
    if assessor is not None:
        course["assessorId"] = m.ensure_assessor(assessor)
    if second is not None:
        course["secondAssessorId"] = m.ensure_assessor(second)


def _uploaded(m: SaModel, p: Mapping[str, Any]) -> None:
    """U1–U9: the learner, its employer and assessors, its supported courses, then its sync step."""
    s, learner = m.settings, p["learner"]
    officers = p.get("officers", ())
    main, second = officer_in(officers, t.MAIN_OFFICER), officer_in(officers, s.second_role)
    fields = {
        "misId": learner["learner_ident"],
        **{sa: t.wire(learner.get(pics)) for pics, sa in t.UPLOAD_FIELDS.items()},
    }
    fields |= {"studentId": learner.get("lrn") if s.on("Set Student ID to LRN") else None, "status": t.ACTIVE}
    fields |= {"gender": None, "ethnicity": None, "disability": None}  # only what U9's sync step sends
    fields |= {"employerId": m.ensure_employer(p.get("placement")), "assessorId": m.ensure_assessor(main)}
    model = m.learners[learner["learner_ident"]] = LearnerModel(fields)
    m.ensure_assessor(second)
    for q in p.get("qualifications", ()):
        if m.supported(q):
            _enrol(m, model, q, main, second)
    _details(m, model, learner)  # U9


def _edited(m: SaModel, p: Mapping[str, Any]) -> None:
    _details(m, m.learners[p["learner"]["learner_ident"]], p["learner"])


def _employer_changed(m: SaModel, p: Mapping[str, Any]) -> None:
    """E1: the learner's SA employer becomes the new placement's."""
    m.learners[p["learner"]["learner_ident"]].fields["employerId"] = m.ensure_employer(p["placement"])


def _qualification_changed(m: SaModel, p: Mapping[str, Any]) -> None:
    """U5 (v2) for a course SA lacks; else Q1 with S15 on and Q2 with S16 = Push."""
    s, learner, q = m.settings, m.learners[p["learner"]["learner_ident"]], p["qualification"]
    main, second = officer_in(p.get("officers"), t.MAIN_OFFICER), officer_in(p.get("officers"), s.second_role)
    if q["qualification_id"] not in learner.courses:
        _enrol(m, learner, q, main, second)
        return
    course = learner.courses[q["qualification_id"]]
    if s.on("Push Changes to Qualification Assessors"):
        _assessors(m, course, q, main, second)
    if s.mode(t.S16) == t.PUSH:
        course |= {sa: t.wire(q.get(pics)) for pics, sa in t.COURSE_DATES.items()}


def _aim_closed(m: SaModel, p: Mapping[str, Any]) -> None:
    learner = m.learners[p["learner"]["learner_ident"]]
    learner.courses[p["qualification"]["qualification_id"]] |= _closure(p["qualification"])


def _break(m: SaModel, p: Mapping[str, Any]) -> None:
    """B1: the learner and each aim put on the break (status 6 ending on the break date); B2: back."""
    learner, starting = m.learners[p["learner"]["learner_ident"]], p["phase"] == "start"
    learner.fields["status"] = t.ON_BREAK if starting else t.ACTIVE
    for q in p.get("qualifications", ()):
        course = learner.courses.get(q["qualification_id"])
        on_break = q.get("completion_status") == t.AGREED_BREAK and q.get("actual_end_date") == p["break_date"]
        if course is not None and starting and on_break:
            course |= {
                "status": t.ON_BREAK,
                "completionStatus": t.AGREED_BREAK,
                "actualEndDate": t.wire(p["break_date"]),
            }
        elif course is not None and not starting and q.get("completion_status") in (None, t.CONTINUING):
            course |= {"status": t.COURSE_STATUS[t.CONTINUING], "completionStatus": t.CONTINUING, "actualEndDate": None}


def _refreshed(m: SaModel, p: Mapping[str, Any]) -> None:
    """R1 (v2): the learner's whole step: details, employer (S13), assessors (S15), dates (S16 = Push),
    each course's status and closure as PICS has it (A1, B1/B2), and a supported course SA lacks (U5)."""
    s, learner = m.settings, m.learners[p["learner"]["learner_ident"]]
    _details(m, learner, p["learner"])
    on_break = p["learner"].get("programme_status") == t.BREAK_PROGRAMME_STATUS
    learner.fields["status"] = t.ON_BREAK if on_break else t.ACTIVE
    if s.on("Push Changes to Learner Employer"):
        learner.fields["employerId"] = m.ensure_employer(p.get("placement"))
    officers = p.get("officers", ())
    main, second = officer_in(officers, t.MAIN_OFFICER), officer_in(officers, s.second_role)
    if s.on("Push Changes to Qualification Assessors") and main is not None:
        learner.fields["assessorId"] = m.ensure_assessor(main)
    for q in p.get("qualifications", ()):
        if m.supported(q) and q["qualification_id"] not in learner.courses:
            _enrol(m, learner, q, main, second)
        elif m.supported(q):
            _qualification_changed(m, {**p, "qualification": q})
            learner.courses[q["qualification_id"]] |= _closure(q)


def _officers_changed(m: SaModel, p: Mapping[str, Any]) -> None:
    """Q1 (v2) LearnerOfficersChanged: every course's assessors again; the learner's own assessor = Main."""
    learner, officers = m.learners[p["learner"]["learner_ident"]], p.get("officers", ())
    main, second = officer_in(officers, t.MAIN_OFFICER), officer_in(officers, m.settings.second_role)
    for q in p.get("qualifications", ()):
        if q["qualification_id"] in learner.courses:
            _assessors(m, learner.courses[q["qualification_id"]], q, main, second)
    if main is not None:
        learner.fields["assessorId"] = m.ensure_assessor(main)


def _organisation_edited(m: SaModel, p: Mapping[str, Any]) -> None:
    """G1: U2's fields set on the linked SA employer."""
    organisation = p["organisation"]
    m.employers[organisation["organisation_id"]] |= {
        sa: t.wire(organisation.get(pics)) for pics, sa in t.EMPLOYER_FIELDS.items()
    }


def _officer_edited(m: SaModel, p: Mapping[str, Any]) -> None:
    """O1: U3's fields set on the linked SA assessor."""
    officer = p["officer"]
    m.assessors[officer["officer_id"]] |= {sa: t.wire(officer.get(pics)) for pics, sa in t.OFFICER_FIELDS.items()}


_APPLY: Mapping[str, Callable[[SaModel, Mapping[str, Any]], None]] = {
    "LearnerEnrolled": _uploaded,
    "LearnerEdited": _edited,
    "EmployerChanged": _employer_changed,
    "QualificationChanged": _qualification_changed,
    "IlrAimClosed": _aim_closed,
    "BreakInLearning": _break,
    "RefreshRequested": _refreshed,
    "LearnerOfficersChanged": _officers_changed,
    "OrganisationEdited": _organisation_edited,
    "OfficerEdited": _officer_edited,
    # D1: the daily run's comparison, carried out as R1 / G1 / O1 would on PICS's current record.
    "ReconcileRequested": _refreshed,
    "OrganisationReconcileRequested": _organisation_edited,
    "OfficerReconcileRequested": _officer_edited,
}


def fold_all(settings: t.Settings, catalogue: Mapping[str, int], sent: list[Sent]) -> SaModel:
    """The model after every event sent, in order."""
    model = SaModel(settings, catalogue)
    for event in sent:
        model.fold(event)
    return model
