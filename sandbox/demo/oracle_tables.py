"""DOMAIN.md (version 2) as literal tables: what the demo's oracle expects, written out by hand.

Nothing here is read from the product. The field names are PICS's (``sync_core``'s Avro after-images,
DOMAIN.md §6) and Smart Assessor's (the sandbox's contract, ``sandbox/sa/models.py`` and its OpenAPI,
DOMAIN.md §7); the settings are PICS's own names with DOMAIN.md §1's defaults. A wrong field list, gate
or map in the product therefore shows as a mismatch instead of being graded by itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

PUSH, PULL, NONE = "Push PICS Data to Smart Assessor", "Update PICS from Smart Assessor Data", "None"
LIVE, IN_LEARNING, MAIN_OFFICER = "Live", "In Learning", "Main Officer"

# S1–S17 by PICS's exact name, with DOMAIN.md §1's default.
DEFAULTS: Mapping[str, str] = {
    "Integration Enabled": "off",  # S1
    "Send Learner Welcome Email": "off",  # S3
    "Set Student ID to LRN": "off",  # S4
    "Update PICS Risk using Smart Coach Score": "off",  # S5
    "Update Learner Demographics Mode": NONE,  # S6
    "Update Learner Gender": "off",  # S7
    "Update Learner Ethnicity": "off",  # S8
    "Send Learner Disability": "off",  # S9
    "Update Officer Demographics Mode": NONE,  # S10
    "Create Users for Officers in ASSO": "off",  # S11
    "Update Organisation Demographics Mode": NONE,  # S12
    "Push Changes to Learner Employer": "off",  # S13
    "Qualification Second Assessor Role": "none",  # S14
    "Push Changes to Qualification Assessors": "off",  # S15
    "Update Qualification Dates Mode": PUSH,  # S16
}


@dataclass(frozen=True)
class Settings:
    """A profile's settings as the oracle reads them: the literal name → value text, defaults filled."""

    values: Mapping[str, str]
    review_types: Mapping[str, str]  # S17: SA session type → PICS Review Type

    def text(self, name: str) -> str:
        return self.values.get(name, DEFAULTS[name])

    def on(self, name: str) -> bool:
        return self.text(name).lower() == "on"

    def mode(self, name: str) -> str:
        return self.text(name)

    @property
    def second_role(self) -> str | None:
        """S14: the learner-officer role of each course's second assessor, or None."""
        role = self.text("Qualification Second Assessor Role")
        return None if role.lower() == "none" else role


S6, S10, S12, S16 = (
    "Update Learner Demographics Mode",
    "Update Officer Demographics Mode",
    "Update Organisation Demographics Mode",
    "Update Qualification Dates Mode",
)
Condition = Callable[[Settings], bool]

# L1 (U1): PICS learner field → SA learner field. ULN is L2's, listed apart below.
L1_FIELDS: Mapping[str, str] = {
    "first_name": "firstName",
    "surname": "surname",
    "date_of_birth": "dateOfBirth",
    "email": "email",
    "address_1": "address1",
    "address_2": "address2",
    "address_3": "address3",
    "address_4": "address4",
    "postcode": "postcode",
    "ni_number": "niNumber",
    "phone_number": "phoneNumber",
    "mobile_number": "mobileNumber",
}
ULN = ("uln", "uln")
STUDENT_ID = ("lrn", "studentId")  # S4: Student ID = LRN
GENDER, ETHNICITY, DISABILITY = ("gender", "gender"), ("ethnicity", "ethnicity"), ("disability", "disability")


def _push(s: Settings) -> bool:
    return s.mode(S6) == PUSH


# L1–L5 (v2): (PICS field, SA field, when a LearnerEdited pushes it).
LEARNER_PUSH: tuple[tuple[str, str, Condition], ...] = (
    *((pics, sa, _push) for pics, sa in L1_FIELDS.items()),  # L1, L5
    (*ULN, lambda s: s.mode(S6) in (PUSH, PULL)),  # L2 (v2): pushed in the pull mode too
    (*STUDENT_ID, lambda s: _push(s) and s.on("Set Student ID to LRN")),  # L1 with S4
    (*GENDER, lambda s: _push(s) and s.on("Update Learner Gender")),  # L3
    (*ETHNICITY, lambda s: _push(s) and s.on("Update Learner Ethnicity")),  # L3
    (*DISABILITY, lambda s: s.on("Send Learner Disability")),  # L4
)
# U1, U6: sent once, at the upload, whatever S6 says (Student ID only with S4).
UPLOAD_FIELDS: Mapping[str, str] = {
    **L1_FIELDS,
    "uln": "uln",
    "start_date": "startDate",
    "planned_otj_hours": "plannedOtjHours",
}

# P9: SA learner field → PICS learner field pulled under S6 = Update PICS… (never ULN, never disability).
PULLED_LEARNER: tuple[tuple[str, str, Condition], ...] = (
    *((sa, pics, lambda s: True) for pics, sa in L1_FIELDS.items()),
    ("gender", "gender", lambda s: s.on("Update Learner Gender")),
    ("ethnicity", "ethnicity", lambda s: s.on("Update Learner Ethnicity")),
)
NEVER_PULLED = ("uln", "disability")  # L2, S9/P9

# U2 / G1 / P11: PICS organisation → SA employer.
EMPLOYER_FIELDS: Mapping[str, str] = {
    "name": "name",
    "phone_number": "phoneNumber",
    "edrs_number": "edrsNumber",
    "address_1": "address1",
    "address_2": "address2",
    "address_3": "address3",
    "address_4": "address4",
    "postcode": "postcode",
    "website": "website",
    "employer_size": "employerSize",
}
# U3 / O1 / P5 / P10 (a Decision of DOMAIN.md): PICS officer → SA assessor.
OFFICER_FIELDS: Mapping[str, str] = {
    "first_name": "firstName",
    "surname": "surname",
    "email": "email",
    "phone_number": "phoneNumber",
    "mobile_number": "mobileNumber",
}
# U5 / Q2 / P7: PICS learner qualification dates → SA enrolment.
COURSE_DATES: Mapping[str, str] = {"start_date": "startDate", "planned_end_date": "plannedEndDate"}

# A1 (Decision): completion status (ILR) → SA course status; outcome codes pass through.
COURSE_STATUS: Mapping[int, str] = {
    1: "in_training",
    2: "completed",
    3: "withdrawn",
    4: "transferred",
    6: "break_in_learning",
}
OUTCOMES = (1, 2, 3, 8)
CONTINUING, AGREED_BREAK = 1, 6
# B1 / B2: the SA learner's status while on a break, and otherwise.
ON_BREAK, ACTIVE = "break_in_learning", "active"
BREAK_PROGRAMME_STATUS = "Break in learning"

# P8: Smart Coach band → PICS Risk.
RISK: Mapping[str, str] = {"High": "Red", "Medium": "Yellow", "Low": "Green"}
# P4: SA session status → PICS Attended Status; "planned" leaves it as it is (Unknown when created, P3).
ATTENDED_STATUS: Mapping[str, str] = {
    "attended": "Attended",
    "cancelled_learner": "Cancelled - Learner",
    "cancelled_assessor": "Cancelled - Assessor",
    "cancelled_employer": "Cancelled - Employer",
}
PLANNED, UNKNOWN = "planned", "Unknown"


def month_before(day: date) -> date:
    """The same day one calendar month earlier, clamped to that month's last day (Y1)."""
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("every month has 28 days")


def eligible(learner: Mapping[str, Any], on: date) -> bool:
    """Y1: Live, in SA, and In Learning or ended within the calendar month before ``on``."""
    if learner.get("system_status") != LIVE or not learner.get("smart_assessor_id"):
        return False
    ended = learner.get("end_date")
    return learner.get("programme_status") == IN_LEARNING or (ended is not None and month_before(on) <= ended <= on)


def wire(value: Any) -> Any:
    """A PICS value as SA's JSON holds it: dates as ISO text."""
    if isinstance(value, date):
        return value.isoformat()
    return value


def blank(value: Any) -> bool:
    """P13: an SA value that is empty."""
    return value is None or (isinstance(value, str) and not value.strip())
