"""SA's records read into the pulled items' payloads, field by field (P14 of DOMAIN.md §5).

Every SA value goes through one of the readers below, which check that it has the type the item's
Avro schema wants. One that has not (a malformed date, a number as text, a status SA does not
define) raises ``BadItem`` naming the SA field and what is wrong with it, never the value (it may
be personal data); the pull drops that item alone and reports it. An empty value is not bad: a
blank date reads as None, blank text as itself, and P13 keeps PICS's value
(``sync_core.pics_plan.SetPics``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, datetime
from typing import Any

from sync_core.errors import MappingError
from sync_core.fields import ASSESSOR_FIELDS, DEMOGRAPHICS, EMPLOYER_FIELDS
from sync_core.rules.pulled import PULLED_DEMOGRAPHICS, RISK
from sync_core.rules.reviews import SESSION_STATUSES

Record = Mapping[str, Any]


class BadItem(MappingError):
    """An SA record's field cannot be read or mapped (P14): ``field`` and ``problem``, never the value."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}", rule="P14")
        self.field, self.problem = field, problem


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(record: Record, name: str, *, required: bool = False) -> str | None:
    """Text, as SA holds it (blank kept: P13 decides); ``required``: blank is missing."""
    value = record.get(name)
    if required and _empty(value):
        raise BadItem(name, "missing")
    if value is not None and not isinstance(value, str):
        raise BadItem(name, "not text")
    return value


def identifier(record: Record, name: str) -> str:
    """An SA id (a number, or text such as a GUID or a misId), as text."""
    value = record.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return str(text(record, name, required=True))


def whole(record: Record, name: str) -> int | None:
    """A whole number, or None."""
    value = record.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not float(value).is_integer():
        raise BadItem(name, "not a whole number")
    return int(value)


def number(record: Record, name: str, *, required: bool = False) -> float | None:
    """A number, or None (``required``: missing)."""
    value = record.get(name)
    if value is None and not required:
        return None
    if value is None:
        raise BadItem(name, "missing")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadItem(name, "not a number")
    return float(value)


def day(record: Record, name: str) -> date | None:
    """An ISO date (``2025-01-31``); blank is None."""
    value: Any = record.get(name)
    if _empty(value):
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise BadItem(name, "not a date") from None


def moment(record: Record, name: str, *, required: bool = False) -> datetime | None:
    """An ISO date and time with its UTC offset; blank is None (``required``: missing)."""
    value: Any = record.get(name)
    if _empty(value):
        if required:
            raise BadItem(name, "missing")
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise BadItem(name, "not a date and time") from None
    if parsed.tzinfo is None:  # PICS's local time or UTC? Guessing could move a review by an hour
        raise BadItem(name, "no UTC offset")
    return parsed


def one_of(record: Record, name: str, allowed: Collection[str]) -> str:
    """One of the values SA defines for the field."""
    value = text(record, name, required=True)
    if value not in allowed:
        raise BadItem(name, "unknown value")
    return str(value)


def progress(course: Record) -> dict[str, Any]:
    """P1's figures of an SA course enrolment."""
    return {
        "sa_enrolment_id": identifier(course, "id"),
        "elements_done": whole(course, "elementsSignedOff") or 0,
        "elements_total": whole(course, "elementsTotal"),
        "progress_assessed_pc": number(course, "progressAssessedPc"),
        "progress_mapped_pc": number(course, "progressMappedPc"),
        "timeline_pc": number(course, "timelinePc"),
    }


def course_dates(course: Record) -> dict[str, Any]:
    """P7's dates of an SA course enrolment."""
    return {"start_date": day(course, "startDate"), "planned_end_date": day(course, "plannedEndDate")}


def review_of(session: Record) -> dict[str, Any]:
    """P2–P4's fields of an SA session (its assessor apart: ``assessor``)."""
    return {
        "sa_session_id": identifier(session, "id"),
        "session_type": text(session, "type", required=True),
        "start": moment(session, "start", required=True),
        "actual": moment(session, "actualStart"),
        "duration_minutes": whole(session, "durationMinutes"),
        "status": one_of(session, "status", SESSION_STATUSES),
    }


def assessor(held: Record, sa_id: str) -> dict[str, Any]:
    """An SA assessor as a PulledAssessor (P4's reviewer, P5); its fields named ``assessor <field>``."""
    try:
        names = {
            pics: text(held, sa, required=pics in ("first_name", "surname")) for pics, sa in ASSESSOR_FIELDS.items()
        }
    except BadItem as bad:
        raise BadItem(f"assessor {bad.field}", bad.problem) from None
    return {"sa_assessor_id": sa_id, **names}


def otj(held: Record) -> dict[str, Any]:
    """P6: the learner's OTJ hours."""
    return {"actual_hours": number(held, "actualHours", required=True), "planned_hours": number(held, "plannedHours")}


def smart_coach(held: Record) -> dict[str, Any] | None:
    """P8: the score and band; None when Smart Coach has no score for the learner yet."""
    if held.get("score") is None or held.get("band") is None:
        return None
    return {"score": number(held, "score"), "band": one_of(held, "band", RISK)}


def demographics(held: Record) -> dict[str, Any]:
    """P9: the SA learner's details (ULN never: L2), with gender and ethnicity for S7 and S8 to choose."""
    fields: dict[str, Any] = {
        pics: text(held, DEMOGRAPHICS[pics]) for pics in PULLED_DEMOGRAPHICS if pics != "date_of_birth"
    }
    return fields | {
        "date_of_birth": day(held, DEMOGRAPHICS["date_of_birth"]),
        "gender": text(held, "gender"),
        "ethnicity": text(held, "ethnicity"),
    }


def officer_details(held: Record) -> dict[str, Any]:
    """P10: the SA assessor's U3 fields."""
    return {pics: text(held, sa) for pics, sa in ASSESSOR_FIELDS.items()}


def employer_details(held: Record) -> dict[str, Any]:
    """P11: the SA employer's U2 fields."""
    return {pics: text(held, sa) for pics, sa in EMPLOYER_FIELDS.items()}
