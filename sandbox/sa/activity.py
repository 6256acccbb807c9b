"""A learner's activity as SA tracks it: sessions, actual OTJ hours, Smart Coach score, course progress.

Read by SA's API (``sessions``), set by the sandbox's ``/_sandbox`` routes (``seeding``,
``simulation``). A learner SA holds no activity for has no sessions, 0 actual hours and score 0.
A group session is one session (one id) in several learners' lists: it is stored once, owned by the
learner it was set for (``learnerId``), with every learner it is for in ``learnerIds``. Smart Coach
(section 7 v2) answers 404 for a learner not in Smart Coach, and a null score and band for one with
no score yet. Course progress stays consistent: ``progressAssessedPc`` is 100 × signed-off / total elements to
one decimal, ``progressMappedPc`` is never below it.

A session keeps its id while it changes, as one session in SA does when someone edits it. Setting a
learner's sessions sends each one it still owns with its ``id`` (the one SA's API shows), which changes
that session in place; a session sent without ``id`` is new and gets the next number; a session the
learner owns that is not sent is deleted (its id is not handed out again). An ``id`` must name a
session the learner owns (a group session another learner hosts is changed through its host), else
404, and may be sent once. Nothing but the id is matched: type, start, status and every other value
may change, so no guess can take a new session for an old one or an old one for a new one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sandbox.sa.errors import ApiError
from sandbox.sa.records import patch, referenced
from sandbox.sa.state import SandboxState
from sandbox.sa.store import Record

#: Smart Coach bands: a score from HIGH is High, from MEDIUM Medium, else Low.
HIGH, MEDIUM = 0.66, 0.33


def band(score: float) -> str:
    """Smart Coach's band of a score from 0 to 1."""
    if score >= HIGH:
        return "High"
    return "Medium" if score >= MEDIUM else "Low"


def sessions_of(state: SandboxState, learner_id: str) -> list[Record]:
    """The learner's sessions as stored (with ``learnerId``), group sessions included, by start, then id."""
    return sorted(state.sessions.find(learnerIds=learner_id), key=lambda s: (s["start"], s["id"]))


def session_view(session: Record) -> Record:
    """A session as SA's API shows it, without ``learnerId`` and ``learnerIds``."""
    return {key: value for key, value in session.items() if key not in ("learnerId", "learnerIds")}


def otj_of(state: SandboxState, learner: Record) -> Record:
    actual = state.otj_actual_hours.get(learner["id"], 0.0)
    return {"plannedHours": learner.get("plannedOtjHours"), "actualHours": actual}


def smart_coach_of(state: SandboxState, learner_id: str) -> Record:
    """``{score, band}``; both null when there is no score yet; 404 when the learner is not in Smart Coach."""
    if learner_id in state.not_in_smart_coach:
        raise ApiError(404, "not_found", "The learner is not in Smart Coach.")
    score = state.smart_coach_scores.get(learner_id, 0.0)
    return {"score": score, "band": None if score is None else band(score)}


def set_smart_coach(state: SandboxState, learner_id: str, score: float | None, *, member: bool = True) -> None:
    """Put the learner in Smart Coach with ``score`` (None: no score yet), or take it out (``member`` false)."""
    state.smart_coach_scores[learner_id] = score
    if member:
        state.not_in_smart_coach.discard(learner_id)
    else:
        state.not_in_smart_coach.add(learner_id)


def activity_of(state: SandboxState, learner: Record) -> Record:
    """Everything the daily pull reads of the learner, in one record."""
    return {
        "learnerId": learner["id"],
        "sessions": [session_view(s) for s in sessions_of(state, learner["id"])],
        "otj": otj_of(state, learner),
        "smartCoach": None if learner["id"] in state.not_in_smart_coach else smart_coach_of(state, learner["id"]),
        "progress": [progress_of(e) for e in state.enrolments.find(learnerId=learner["id"])],
    }


def progress_of(enrolment: Record) -> Record:
    keys = ("elementsTotal", "elementsSignedOff", "progressAssessedPc", "progressMappedPc", "timelinePc")
    return {"enrolmentId": enrolment["id"], **{key: enrolment[key] for key in keys}}


def change_activity(state: SandboxState, learner_id: str, change: Mapping[str, Any]) -> None:
    """Apply ``{sessions?, otjActualHours?, smartCoachScore?, inSmartCoach?, progress?}`` whole, or refuse
    it (404 for an enrolment not the learner's, 422 for a value that does not fit) and change nothing.

    A score (null: no score yet) puts the learner in Smart Coach unless ``inSmartCoach`` is false.
    """
    sessions = _checked_sessions(state, learner_id, change.get("sessions", ()))
    progress = [_checked_progress(state, learner_id, p) for p in change.get("progress", ())]
    if "sessions" in change:
        replace_sessions(state, learner_id, sessions)
    if "otjActualHours" in change:
        state.otj_actual_hours[learner_id] = float(change["otjActualHours"])
    if "smartCoachScore" in change or "inSmartCoach" in change:
        score = change.get("smartCoachScore", state.smart_coach_scores.get(learner_id, 0.0))
        set_smart_coach(state, learner_id, score, member=change.get("inSmartCoach", True))
    for enrolment, signed_off, total in progress:
        set_progress(state, enrolment, signed_off, total=total)


def replace_sessions(state: SandboxState, learner_id: str, sessions: Iterable[Mapping[str, Any]]) -> None:
    """Make ``sessions`` the ones the learner owns: one with an ``id`` changes that session and keeps
    its id, one without is numbered on, and the ones not sent are deleted (their ids are not reused).

    A session's ``alsoLearnerIds`` makes it a group session, in those learners' lists too; the group
    sessions other learners own stay in this learner's list.
    """
    sessions = list(sessions)
    kept = {session.get("id") for session in sessions}
    for old in state.sessions.find(learnerId=learner_id):
        if old["id"] not in kept:
            state.sessions.delete(old["id"])
    for session in sessions:
        fields = {key: value for key, value in session.items() if key not in ("id", "alsoLearnerIds")}
        record = {"learnerId": learner_id, "learnerIds": [learner_id, *session.get("alsoLearnerIds", ())], **fields}
        if session.get("id") is None:
            state.sessions.insert(record)
        else:
            state.sessions.update(session["id"], record)


def set_progress(
    state: SandboxState,
    enrolment: Record,
    signed_off: int,
    *,
    total: int | None = None,
    mapped_pc: float | None = None,
    timeline_pc: float | None = None,
) -> Record:
    """Set signed-off (and total) elements; the percentages follow. ``updatedAt`` moves on a change."""
    total = enrolment["elementsTotal"] if total is None else total
    assessed = round(100 * signed_off / total, 1)
    mapped = enrolment["progressMappedPc"] if mapped_pc is None else mapped_pc
    changes = {
        "elementsTotal": total,
        "elementsSignedOff": signed_off,
        "progressAssessedPc": assessed,
        "progressMappedPc": max(assessed, mapped),
        "timelinePc": enrolment["timelinePc"] if timeline_pc is None else timeline_pc,
    }
    return patch(state.enrolments, enrolment, changes, "enrolment")


def _checked_sessions(state: SandboxState, learner_id: str, sessions: Iterable[Mapping[str, Any]]) -> list[Record]:
    """The sessions to store; each ``id`` sent names a session the learner owns (404), and only once (422)."""
    checked = [_checked_session(state, learner_id, session) for session in sessions]
    ids = [session["id"] for session in checked if session.get("id") is not None]
    if len(set(ids)) < len(ids):
        raise ApiError(422, "invalid_value", "A session id is given twice.", field="id")
    for session_id in ids:
        owned = state.sessions.get(session_id)
        if owned is None or owned["learnerId"] != learner_id:
            raise ApiError(404, "not_found", f"The learner owns no session with id {session_id}.")
    return checked


def _checked_session(state: SandboxState, learner_id: str, session: Mapping[str, Any]) -> Record:
    """The session to store: its assessor and other learners exist; ``actualStart`` only when attended
    (default: start)."""
    referenced(state.assessors, session.get("assessorId"), field="assessorId", what="assessor")
    others = session.get("alsoLearnerIds", ())
    if learner_id in others or len(set(others)) < len(others):
        raise ApiError(422, "invalid_value", "A learner is named twice in the session.", field="alsoLearnerIds")
    for other in others:
        referenced(state.learners, other, field="alsoLearnerIds", what="learner")
    attended = session["status"] == "attended"
    if session.get("actualStart") and not attended:
        raise ApiError(422, "invalid_value", "Only an attended session has an actualStart.", field="actualStart")
    actual_start = (session.get("actualStart") or session["start"]) if attended else None
    return {**session, "actualStart": actual_start}


def _checked_progress(state: SandboxState, learner_id: str, entry: Mapping[str, Any]) -> tuple[Record, int, int | None]:
    """The learner's enrolment named, and its new signed-off and total elements, which must fit."""
    enrolment = state.enrolments.get(entry["enrolmentId"])
    if enrolment is None or enrolment["learnerId"] != learner_id:
        raise ApiError(404, "not_found", f"The learner has no enrolment with id {entry['enrolmentId']}.")
    total: int | None = entry.get("elementsTotal")
    if entry["elementsSignedOff"] > (total or enrolment["elementsTotal"]):
        message = "elementsSignedOff is more than elementsTotal."
        raise ApiError(422, "invalid_value", message, field="elementsSignedOff")
    return enrolment, entry["elementsSignedOff"], total
