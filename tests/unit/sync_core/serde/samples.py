"""Sample events of every record, in the current contract's shape, for the serde tests."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import schemas
from sync_core.serde import event_records, new_event

TOPIC = "pics.learner"


RECORD = "pics.events.LearnerEvent"


EVENT_ID = "5b0e3c1a-8d1e-4c55-9b5e-0f6f1b2a3c4d"


OCCURRED = datetime(2025, 3, 4, 5, 6, 7, 890000, tzinfo=UTC)


SCHEMA_DIR = Path(schemas.__file__).parent


LEARNER: dict[str, Any] = {
    "learner_ident": "L000123",
    "first_name": "Ada",
    "surname": "Lovelace",
    "date_of_birth": date(2001, 12, 10),
    "uln": "1234567890",
    "lrn": "LRN-77",
    "email": "ada@example.org",
    "address_1": "1 St James's Square",
    "address_2": None,
    "address_3": None,
    "address_4": "London",
    "postcode": "SW1Y 4JU",
    "ni_number": "QQ123456C",
    "phone_number": None,
    "mobile_number": "07700 900123",
    "gender": "F",
    "ethnicity": "31",
    "disability": None,
    "system_status": "Live",
    "programme_status": "In Learning",
    "start_date": date(2024, 9, 1),
    "end_date": None,
    "smart_assessor_id": "SA-991",
    "planned_otj_hours": 278.5,
    "actual_otj_hours": 12.0,
    "risk": "Green",
}


ORGANISATION: dict[str, Any] = {
    "organisation_id": "ORG-42",
    "name": "Analytical Engines Ltd",
    "phone_number": "020 7946 0000",
    "edrs_number": "EDRS-1001",
    "address_1": "2 Babbage Row",
    "address_2": None,
    "address_3": None,
    "address_4": "London",
    "postcode": "EC1A 1BB",
    "website": "https://engines.example.org",
    "employer_size": "50-249",
    "additional_id": None,
}


OFFICER: dict[str, Any] = {
    "officer_id": "OFF-7",
    "first_name": "Charles",
    "surname": "Babbage",
    "email": "charles@example.org",
    "phone_number": None,
    "mobile_number": "07700 900456",
    "additional_id": "SA-ASSESSOR-3",
}


SECOND_OFFICER: dict[str, Any] = OFFICER | {
    "officer_id": "OFF-8",
    "first_name": "Mary",
    "additional_id": None,
}


OFFICERS: list[dict[str, Any]] = [
    {"role": "Main Officer", "officer": OFFICER},
    {"role": "IQA", "officer": SECOND_OFFICER},
]


QUALIFICATION: dict[str, Any] = {
    "qualification_id": "LQ-1",
    "qualification_reference": "ST0116",
    "title": "Software Developer Level 4",
    "start_date": date(2024, 9, 1),
    "planned_end_date": date(2026, 3, 31),
    "actual_end_date": None,
    "assessor": OFFICER,
    "completion_status": 1,
    "outcome": None,
}


CLOSED_QUALIFICATION: dict[str, Any] = QUALIFICATION | {
    "actual_end_date": date(2025, 3, 3),
    "completion_status": 2,
    "outcome": 1,
}


ON_BREAK_QUALIFICATION: dict[str, Any] = QUALIFICATION | {
    "assessor": None,
    "actual_end_date": date(2025, 2, 1),
    "completion_status": 6,
}


# What the daily pull reads from SA (DOMAIN.md section 5), as sa.* events.
PULLED_ASSESSOR: dict[str, Any] = {
    "sa_assessor_id": "1042",
    "first_name": "Charles",
    "surname": "Babbage",
    "email": "charles@example.org",
    "phone_number": None,
    "mobile_number": "07700 900456",
}


LEARNER_DEMOGRAPHICS: dict[str, Any] = {
    "learner_ident": "L000123",
    "first_name": "Ada",
    "surname": "King",
    "date_of_birth": date(2001, 12, 10),
    "email": "ada.king@example.org",
    "address_1": "1 St James's Square",
    "address_2": None,
    "address_3": None,
    "address_4": "London",
    "postcode": "SW1Y 4JU",
    "ni_number": "QQ123456C",
    "phone_number": None,
    "mobile_number": "07700 900123",
    "gender": "F",
    "ethnicity": "31",
    "run_id": 12,
}


SA_EVENTS: dict[str, dict[str, Any]] = {
    "QualificationProgress": {
        "learner_ident": "L000123",
        "qualification_id": "LQ-1",
        "sa_enrolment_id": "7f3c2e7a-0000-4000-8000-000000000001",
        "elements_done": 17,
        "elements_total": 40,
        "progress_assessed_pc": 42.5,
        "progress_mapped_pc": 50.0,
        "timeline_pc": 38.25,
    },
    "ReviewUpserted": {
        "learner_ident": "L000123",
        "sa_session_id": "S-5501",
        "session_type": "Formal Review",
        "start": datetime(2025, 3, 3, 9, 30, tzinfo=UTC),
        "actual": datetime(2025, 3, 3, 9, 35, 12, 345000, tzinfo=UTC),
        "duration_minutes": 60,
        "status": "attended",
        "assessor": PULLED_ASSESSOR,
    },
    "OtjHoursTotal": {"learner_ident": "L000123", "actual_hours": 101.5, "planned_hours": 278.5},
    "SmartCoachRisk": {"learner_ident": "L000123", "score": 0.82, "band": "High"},
    "LearnerDemographicsPulled": LEARNER_DEMOGRAPHICS,
    "QualificationDatesPulled": {
        "learner_ident": "L000123",
        "qualification_id": "LQ-1",
        "start_date": date(2024, 9, 2),
        "planned_end_date": date(2026, 4, 30),
        "run_id": 12,
    },
    "OfficerPulled": {
        "officer_id": "OFF-7",
        "sa_assessor_id": "1042",
        "first_name": "Charles",
        "surname": "Babbage",
        "email": "c.babbage@example.org",
        "phone_number": None,
        "mobile_number": "07700 900456",
        "run_id": 12,
    },
    "OrganisationPulled": {
        "organisation_id": "ORG-42",
        "sa_employer_id": "311",
        "name": "Analytical Engines Ltd",
        "phone_number": "020 7946 0001",
        "edrs_number": "EDRS-1001",
        "address_1": "2 Babbage Row",
        "address_2": None,
        "address_3": None,
        "address_4": "London",
        "postcode": "EC1A 1BB",
        "website": None,
        "employer_size": "50-249",
        "run_id": 12,
    },
}


SA_TOPICS = {"sa.learner", "sa.officer", "sa.organisation"}


def source_of(name: str) -> str:
    """The source new_event writes by default for event ``name``: its topic's producer."""
    return "smart-assessor" if event_records()[name] in SA_TOPICS else "pics"


def fullname_of(name: str) -> str:
    """The fullname of event record ``name``: sa.events on the sa.* topics, else pics.events."""
    return f"{'sa' if event_records()[name] in SA_TOPICS else 'pics'}.events.{name}"


# One payload of every event record, each on its topic, in the current contract's shape.
EVENTS: dict[str, dict[str, Any]] = {
    "LearnerEdited": {"learner": LEARNER},
    "LearnerEnrolled": {
        "learner": LEARNER,
        "placement": ORGANISATION,
        "officers": OFFICERS,
        "qualifications": [QUALIFICATION],
    },
    "EmployerChanged": {"learner": LEARNER, "placement": ORGANISATION, "previous_organisation_id": "ORG-41"},
    "QualificationChanged": {"learner": LEARNER, "qualification": QUALIFICATION, "officers": OFFICERS},
    "IlrAimClosed": {"learner": LEARNER, "qualification": CLOSED_QUALIFICATION},
    "BreakInLearning": {
        "learner": LEARNER,
        "phase": "start",
        "break_date": date(2025, 2, 1),
        "qualifications": [ON_BREAK_QUALIFICATION],
    },
    "RefreshRequested": {"learner": LEARNER, "placement": None, "officers": [], "qualifications": []},
    "LearnerOfficersChanged": {"learner": LEARNER, "officers": OFFICERS, "qualifications": [QUALIFICATION]},
    "ReconcileRequested": {"learner_ident": LEARNER["learner_ident"], "run_id": 41},
    "OrganisationEdited": {"organisation": ORGANISATION},
    "OfficerEdited": {"officer": OFFICER},
    "OrganisationReconcileRequested": {"organisation_id": ORGANISATION["organisation_id"], "run_id": 41},
    "OfficerReconcileRequested": {"officer_id": OFFICER["officer_id"], "run_id": 41},
    **SA_EVENTS,
}


def contains(decoded: Any, written: Any) -> bool:
    """Whether ``decoded`` holds everything ``written`` did; records may have gained fields."""
    if isinstance(written, dict):
        return isinstance(decoded, dict) and all(
            key in decoded and contains(decoded[key], value) for key, value in written.items()
        )
    if isinstance(written, list):
        return (
            isinstance(decoded, list)
            and len(decoded) == len(written)
            and all(contains(d, w) for d, w in zip(decoded, written, strict=True))
        )
    return bool(decoded == written)


def learner_edited() -> dict[str, Any]:
    """A LearnerEdited topic value with fixed id and time."""
    return new_event(
        "LearnerEdited",
        {"learner": LEARNER},
        changed_fields=["surname"],
        occurred_at=OCCURRED,
        event_id=EVENT_ID,
    )
