"""Reading one learner's items from SA under the settings, as pulled events with deterministic ids.

An event id is derived from (run date, event kind, record), so a rerun of the same day re-emits
the same ids and the updaters' ledger makes the repeat a no-op.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from sync_core.fields import ASSESSOR_FIELDS, DEMOGRAPHICS, EMPLOYER_FIELDS
from sync_core.rules.pulled import PULLED_DEMOGRAPHICS
from sync_core.settings import IntegrationSettings, Mode

_EVENT_NAMESPACE = uuid.UUID("0b6f4a43-2f43-4b8e-9d0c-3a9f7f2f5e11")
SA_TO_PICS = {sa: pics for pics, sa in DEMOGRAPHICS.items()}


class SaReader(Protocol):
    """The SA reads of a pull."""

    def get_learner(self, sa_id: str) -> dict[str, Any]: ...
    def list_enrolments(self, learner_id: str) -> list[dict[str, Any]]: ...
    def list_sessions(self, learner_id: str) -> list[dict[str, Any]]: ...
    def get_otj(self, learner_id: str) -> dict[str, Any]: ...
    def get_smart_coach(self, learner_id: str) -> dict[str, Any]: ...
    def get_assessor(self, sa_id: int | str) -> dict[str, Any]: ...
    def get_employer(self, sa_id: int | str) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Pulled:
    """One event of the pull, ready to send."""

    topic: str
    key: str
    name: str
    payload: Mapping[str, Any]
    event_id: str


def event_id(run_date: date, name: str, record: str) -> str:
    """The id of the event ``name`` about ``record`` in the run of ``run_date``."""
    return str(uuid.uuid5(_EVENT_NAMESPACE, f"{run_date.isoformat()}|{name}|{record}"))


def _date(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def progress(course: Mapping[str, Any]) -> dict[str, Any]:
    """P1's figures of an SA course enrolment."""
    return {
        "sa_enrolment_id": str(course["id"]),
        "elements_done": int(course.get("elementsSignedOff") or 0),
        "elements_total": course.get("elementsTotal"),
        "progress_assessed_pc": course.get("progressAssessedPc"),
        "progress_mapped_pc": course.get("progressMappedPc"),
        "timeline_pc": course.get("timelinePc"),
    }


def review_of(session: Mapping[str, Any]) -> dict[str, Any]:
    """P2–P4's fields of an SA session."""
    return {
        "sa_session_id": str(session["id"]),
        "session_type": session["type"],
        "start": _time(session["start"]),
        "actual": _time(session.get("actualStart")),
        "duration_minutes": session.get("durationMinutes"),
        "status": session["status"],
    }


@dataclass
class Reader:
    """Reads learners from SA; every SA call goes through ``call`` (rate limit, retries, counting)."""

    sa: SaReader
    settings: IntegrationSettings
    run_date: date
    call: Callable[..., Any]
    assessors: dict[str, dict[str, Any]] = field(default_factory=dict)  # SA id → assessor, once a run
    unmapped_sessions: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def learner(self, ident: str, sa_id: str) -> list[Pulled]:
        """Every item the settings pull for one learner (P1, P2, P6–P9)."""
        events = self._courses(ident, sa_id) + self._sessions(ident, sa_id)
        otj = self.call(self.sa.get_otj, sa_id)
        hours = {"actual_hours": float(otj["actualHours"]), "planned_hours": otj.get("plannedHours")}
        events.append(self._event("sa.learner", ident, "OtjHoursTotal", ident, {"learner_ident": ident, **hours}))
        if self.settings.risk_from_smart_coach:  # P8
            coach = self.call(self.sa.get_smart_coach, sa_id)
            risk = {"learner_ident": ident, "score": float(coach["score"]), "band": coach["band"]}
            events.append(self._event("sa.learner", ident, "SmartCoachRisk", ident, risk))
        if self.settings.learner_mode is Mode.PULL:  # P9
            events.append(self._demographics(ident, self.call(self.sa.get_learner, sa_id)))
        return events

    def _event(self, topic: str, key: str, name: str, record: str, payload: Mapping[str, Any]) -> Pulled:
        return Pulled(topic, key, name, payload, event_id(self.run_date, name, record))

    def _courses(self, ident: str, sa_id: str) -> list[Pulled]:
        events = []
        for course in self.call(self.sa.list_enrolments, sa_id):
            qid = str(course["misId"])
            mine = {"learner_ident": ident, "qualification_id": qid}
            events.append(self._event("sa.learner", ident, "QualificationProgress", qid, mine | progress(course)))
            if self.settings.qualification_dates_mode is Mode.PULL:  # P7
                dates = {
                    "start_date": _date(course.get("startDate")),
                    "planned_end_date": _date(course.get("plannedEndDate")),
                }
                events.append(self._event("sa.learner", ident, "QualificationDatesPulled", qid, mine | dates))
        return events

    def _sessions(self, ident: str, sa_id: str) -> list[Pulled]:
        events = []
        for session in self.call(self.sa.list_sessions, sa_id):
            if session["type"] not in self.settings.review_types:  # P2: not imported, counted
                with self._lock:
                    self.unmapped_sessions += 1
                continue
            assessor = None if session.get("assessorId") is None else self._assessor(str(session["assessorId"]))
            review = {"learner_ident": ident, **review_of(session), "assessor": assessor}
            events.append(self._event("sa.learner", ident, "ReviewUpserted", str(session["id"]), review))
        return events

    def _assessor(self, sa_id: str) -> dict[str, Any]:
        """An SA assessor as a PulledAssessor (for P4's reviewer and P5), read once a run."""
        with self._lock:
            cached = self.assessors.get(sa_id)
        if cached is None:
            held = self.call(self.sa.get_assessor, sa_id)
            cached = {"sa_assessor_id": sa_id, **{pics: held.get(sa) for pics, sa in ASSESSOR_FIELDS.items()}}
            with self._lock:
                self.assessors[sa_id] = cached
        return cached

    def _demographics(self, ident: str, held: Mapping[str, Any]) -> Pulled:
        payload: dict[str, Any] = {"learner_ident": ident}
        payload |= {pics: held.get(DEMOGRAPHICS[pics]) for pics in PULLED_DEMOGRAPHICS}
        payload["date_of_birth"] = _date(payload["date_of_birth"])
        payload |= {"gender": held.get("gender"), "ethnicity": held.get("ethnicity")}
        return self._event("sa.learner", ident, "LearnerDemographicsPulled", ident, payload)

    def officer(self, officer_id: str, sa_id: str) -> Pulled:
        """P10: the SA assessor's details for the linked PICS officer."""
        held = self.call(self.sa.get_assessor, sa_id)
        payload = {
            "officer_id": officer_id,
            "sa_assessor_id": sa_id,
            **{p: held.get(s) for p, s in ASSESSOR_FIELDS.items()},
        }
        return self._event("sa.officer", officer_id, "OfficerPulled", officer_id, payload)

    def organisation(self, organisation_id: str, sa_id: str) -> Pulled:
        """P11: the SA employer's details for the linked PICS organisation."""
        held = self.call(self.sa.get_employer, sa_id)
        payload = {"organisation_id": organisation_id, "sa_employer_id": sa_id}
        payload |= {pics: held.get(sa) for pics, sa in EMPLOYER_FIELDS.items()}
        return self._event("sa.organisation", organisation_id, "OrganisationPulled", organisation_id, payload)
