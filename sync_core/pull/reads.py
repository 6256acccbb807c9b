"""Reading one learner's items from SA under the settings, as pulled events with ids per pull run.

An event id is derived from (pull run, event kind, key, record): a resumed run and a redelivery emit
the same ids, which the updaters' ledger makes no-ops, while every other run (the next night's, a
``pull learner`` on the day of the nightly pull) has ids of its own, so what SA changed in between
reaches PICS, and P12 keeps an unchanged item from writing anything.

P8: a learner with no Smart Coach score (SA answers 404, or has no score yet) has no risk item.
P14: each item is read on its own (``sync_core.pull.items``): one that cannot be read or mapped is
dropped and reported with the learner's ident, the item and the SA field, never the value; the
learner's other items are still pulled.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

import structlog

from sync_core.errors import SaNotFound
from sync_core.pull import items
from sync_core.pull.items import BadItem
from sync_core.settings import IntegrationSettings, Mode
from sync_core.smart_assessor.at_once import in_turn

log = structlog.get_logger("pics_sync.pull")
# The items of a Pull direction (D1: P7, P9-P11): they name their run, under which the drift record files
# what they change in PICS (D3).
DRIFT_ITEMS = frozenset(
    {"QualificationDatesPulled", "LearnerDemographicsPulled", "OfficerPulled", "OrganisationPulled"}
)
_EVENT_NAMESPACE = uuid.UUID("0b6f4a43-2f43-4b8e-9d0c-3a9f7f2f5e11")


class SaReader(Protocol):
    """The SA reads of a pull."""

    def get_learner(self, sa_id: str) -> dict[str, Any]: ...
    def list_enrolments(self, learner_id: str) -> list[dict[str, Any]]: ...
    def list_sessions(self, learner_id: str) -> list[dict[str, Any]]: ...
    def get_otj(self, learner_id: str) -> dict[str, Any]: ...
    def get_smart_coach(self, learner_id: str) -> dict[str, Any]: ...
    def get_assessor(self, sa_id: int | str) -> dict[str, Any]: ...
    def get_employer(self, sa_id: int | str) -> dict[str, Any]: ...


def event_id(run_id: int, name: str, key: str, record: str) -> str:
    """The id of the event ``name`` about ``record`` of ``key`` in pull run ``run_id``."""
    return str(uuid.uuid5(_EVENT_NAMESPACE, f"{run_id}|{name}|{key}|{record}"))


@dataclass(frozen=True)
class Pulled:
    """One event of the pull, ready to send."""

    topic: str
    key: str
    name: str
    payload: Mapping[str, Any]
    event_id: str


@dataclass(frozen=True)
class Dropped:
    """P14: an item left out: whose (``key``), which, and the field at fault; no value."""

    key: str
    item: str
    field: str
    problem: str

    @property
    def reason(self) -> str:
        """How the run counts it: ``QualificationDatesPulled startDate: not a date``."""
        return f"{self.item} {self.field}: {self.problem}"


@dataclass
class Read:
    """The items read for one key (a learner; an officer or organisation for P10/P11)."""

    key: str
    topic: str = "sa.learner"
    run_id: int = 0
    events: list[Pulled] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    unmapped: int = 0  # sessions of a type S17 does not map (P2: not imported, counted)

    def add(self, name: str, record: str, build: Callable[[], Mapping[str, Any] | None]) -> None:
        """The item ``build`` reads (none when it gives None), or, when it cannot be read, a drop (P14)."""
        try:
            payload = build()
        except BadItem as bad:
            self.drop(name, bad.field, bad.problem)
            return
        if payload is not None:
            if name in DRIFT_ITEMS:
                payload = {**payload, "run_id": self.run_id}
            pulled_id = event_id(self.run_id, name, self.key, record)
            self.events.append(Pulled(self.topic, self.key, name, payload, pulled_id))

    def drop(self, item: str, field_name: str, problem: str) -> None:
        """Leave one item out, and say so (ids and the SA field only: values may be personal data)."""
        self.dropped.append(Dropped(self.key, item, field_name, problem))
        log.warning("pull.item_dropped", key=self.key, item=item, field=field_name, problem=problem, rule="P14")


@dataclass
class Reader:
    """Reads learners from SA; every SA call goes through ``call`` (rate limit, retries, counting)."""

    sa: SaReader
    settings: IntegrationSettings
    run_id: int
    call: Callable[..., Any]
    assessors: dict[str, dict[str, Any] | None] = field(default_factory=dict)  # SA id → record, once a run
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # How one learner's reads are made: in turn (the daily run reads many learners at once already), or
    # all at once (``AtOnce.started``: a pull of one learner, whose latency is someone's wait).
    reads: Callable[[Mapping[str, Callable[[], Any]]], Mapping[str, Callable[[], Any]]] = in_turn

    def learner(self, ident: str, sa_id: str) -> Read:
        """Every item the settings pull for one learner (P1, P2, P6–P9)."""
        read = Read(ident, run_id=self.run_id)
        wanted: dict[str, Callable[[str], Any]] = {
            "courses": self.sa.list_enrolments,
            "sessions": self.sa.list_sessions,
            "otj": self.sa.get_otj,
        }
        if self.settings.risk_from_smart_coach:  # P8
            wanted["coach"] = self.sa.get_smart_coach
        if self.settings.learner_mode is Mode.PULL:  # P9
            wanted["learner"] = self.sa.get_learner
        answer = self.reads({name: partial(self.call, fn, sa_id) for name, fn in wanted.items()})
        self._courses(read, answer["courses"]())
        self._sessions(read, answer["sessions"]())
        otj = answer["otj"]()
        read.add("OtjHoursTotal", ident, lambda: {"learner_ident": ident, **items.otj(otj)})
        if "coach" in answer:
            self._smart_coach(read, answer["coach"])
        if "learner" in answer:
            held = answer["learner"]()
            read.add("LearnerDemographicsPulled", ident, lambda: {"learner_ident": ident, **items.demographics(held)})
        return read

    def _courses(self, read: Read, courses: list[dict[str, Any]]) -> None:
        for course in courses:
            qid = str(course.get("misId"))  # the event's record; the item reads it properly
            read.add("QualificationProgress", qid, partial(_course_item, read.key, course, items.progress))
            if self.settings.qualification_dates_mode is Mode.PULL:  # P7
                read.add("QualificationDatesPulled", qid, partial(_course_item, read.key, course, items.course_dates))

    def _sessions(self, read: Read, sessions: list[dict[str, Any]]) -> None:
        for session in sessions:
            kind = session.get("type")
            if isinstance(kind, str) and kind not in self.settings.review_types:  # P2: not imported, counted
                read.unmapped += 1
                continue
            read.add("ReviewUpserted", str(session.get("id")), partial(self._review, read.key, session))

    def _review(self, ident: str, session: Mapping[str, Any]) -> dict[str, Any]:
        return {"learner_ident": ident, **items.review_of(session), "assessor": self._assessor_of(session)}

    def _smart_coach(self, read: Read, answer: Callable[[], Any]) -> None:
        try:
            coach = answer()
        except SaNotFound:  # P8: the learner is not in Smart Coach; Risk stays as PICS has it
            return
        read.add("SmartCoachRisk", read.key, partial(_coach_item, read.key, coach))

    def _assessor_of(self, session: Mapping[str, Any]) -> dict[str, Any] | None:
        """The session's assessor as a PulledAssessor (P4's reviewer and P5), SA's record read once a run."""
        if session.get("assessorId") is None:
            return None
        sa_id = items.identifier(session, "assessorId")
        with self._lock:
            known, held = sa_id in self.assessors, self.assessors.get(sa_id)
        if not known:
            held = self._read_assessor(sa_id)
            with self._lock:
                self.assessors[sa_id] = held
        if held is None:
            raise BadItem("assessorId", "no such SA assessor")
        return items.assessor(held, sa_id)

    def _read_assessor(self, sa_id: str) -> dict[str, Any] | None:
        try:
            held: dict[str, Any] = self.call(self.sa.get_assessor, sa_id)
        except SaNotFound:  # a session naming an assessor SA no longer holds: that session alone is dropped
            return None
        return held

    def officer(self, officer_id: str, sa_id: str) -> Read:
        """P10: the SA assessor's details for the linked PICS officer."""
        read = Read(officer_id, topic="sa.officer", run_id=self.run_id)
        held = self.call(self.sa.get_assessor, sa_id)
        details = {"officer_id": officer_id, "sa_assessor_id": sa_id}
        read.add("OfficerPulled", officer_id, lambda: details | items.officer_details(held))
        return read

    def organisation(self, organisation_id: str, sa_id: str) -> Read:
        """P11: the SA employer's details for the linked PICS organisation."""
        read = Read(organisation_id, topic="sa.organisation", run_id=self.run_id)
        held = self.call(self.sa.get_employer, sa_id)
        details = {"organisation_id": organisation_id, "sa_employer_id": sa_id}
        read.add("OrganisationPulled", organisation_id, lambda: details | items.employer_details(held))
        return read


def _course_item(
    ident: str, course: Mapping[str, Any], figures: Callable[[Mapping[str, Any]], dict[str, Any]]
) -> dict[str, Any]:
    """An enrolment's item for the PICS learner qualification it names (its misId)."""
    return {"learner_ident": ident, "qualification_id": items.identifier(course, "misId"), **figures(course)}


def _coach_item(ident: str, coach: Mapping[str, Any]) -> dict[str, Any] | None:
    risk = items.smart_coach(coach)
    return None if risk is None else {"learner_ident": ident, **risk}  # None: no score yet (P8)
