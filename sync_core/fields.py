"""Field maps PICS → SA for each record kind, and the lookups rules may make.

The maps are the one place where a PICS field name meets its SA name; the push rules and the
demo's check both read them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Protocol

# L1 (ULN included: L2). PICS field → SA learner field.
DEMOGRAPHICS: Mapping[str, str] = {
    "first_name": "firstName",
    "surname": "surname",
    "date_of_birth": "dateOfBirth",
    "uln": "uln",
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

# U2's list: PICS organisation → SA employer.
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

# U3's list (a Decision of DOMAIN.md): PICS officer → SA assessor.
ASSESSOR_FIELDS: Mapping[str, str] = {
    "first_name": "firstName",
    "surname": "surname",
    "email": "email",
    "phone_number": "phoneNumber",
    "mobile_number": "mobileNumber",
}


# D3: the SA name a pulled PICS column is recorded under, per PICS table (P7, P9-P11), so one field has one
# name in the drift report whichever way it moved.
PULLED_AS: Mapping[str, Mapping[str, str]] = {
    "learner": {**DEMOGRAPHICS, "gender": "gender", "ethnicity": "ethnicity"},
    "learner_qualification": {"start_date": "startDate", "planned_end_date": "plannedEndDate"},
    "officer": ASSESSOR_FIELDS,
    "organisation": EMPLOYER_FIELDS,
}


class Lookups(Protocol):
    """What a rule may look up: links to SA records and the qualification links (U5)."""

    def sa_id(self, entity: str, pics_id: str) -> str | None: ...

    def course_id(self, qualification_reference: str) -> str | None: ...


def wire(value: Any) -> Any:
    """A PICS value as SA's JSON carries it (dates as ISO text)."""
    return value.isoformat() if isinstance(value, date) else value


def to_sa(record: Mapping[str, Any], mapping: Mapping[str, str]) -> dict[str, Any]:
    """The record's fields under SA's names, for every field of the map."""
    return {sa: wire(record.get(pics)) for pics, sa in mapping.items()}
