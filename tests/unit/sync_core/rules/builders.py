"""PICS after-images for rule tests."""

from __future__ import annotations

from datetime import date
from typing import Any

TODAY = date(2026, 11, 23)


def learner(**changes: Any) -> dict[str, Any]:
    base = {
        "learner_ident": "L1", "first_name": "Ada", "surname": "Lovelace", "date_of_birth": date(2001, 2, 3),
        "uln": "1234567890", "lrn": "LRN1", "email": "ada@example.org", "address_1": "1 High St",
        "address_2": "Leeds", "address_3": None, "address_4": None, "postcode": "LS1 1AA",
        "ni_number": "AB123456C", "phone_number": "0113 496 0000", "mobile_number": "07700900000",
        "gender": "F", "ethnicity": "31", "disability": "N", "system_status": "Live",
        "programme_status": "In Learning", "start_date": date(2026, 9, 1), "end_date": None,
        "smart_assessor_id": "g-L1", "planned_otj_hours": 312.0,
    }  # fmt: skip
    return {**base, **changes}


def organisation(**changes: Any) -> dict[str, Any]:
    base = {
        "organisation_id": "ORG1", "name": "Acme Ltd", "phone_number": "0113 000", "edrs_number": "123456",
        "address_1": "1 Mill Lane", "address_2": None, "address_3": None, "address_4": None, "postcode": "LS2 2BB",
        "website": "https://acme.example", "employer_size": "50-249", "additional_id": None,
    }  # fmt: skip
    return {**base, **changes}


def officer(ident: str = "OFF1", **changes: Any) -> dict[str, Any]:
    base = {
        "officer_id": ident, "first_name": "Grace", "surname": "Hopper", "email": f"{ident.lower()}@example.org",
        "phone_number": None, "mobile_number": "07700900001", "additional_id": None,
    }  # fmt: skip
    return {**base, **changes}


def qualification(ident: str = "Q1", reference: str = "60312345", **changes: Any) -> dict[str, Any]:
    base = {
        "qualification_id": ident, "qualification_reference": reference, "title": "Level 3 Standard",
        "start_date": date(2026, 9, 1), "planned_end_date": date(2027, 9, 1), "actual_end_date": None,
        "assessor": None, "completion_status": 1, "outcome": None,
    }  # fmt: skip
    return {**base, **changes}


def roles(**by_role: dict[str, Any]) -> list[dict[str, Any]]:
    """officers=[{role, officer}] from role=officer keywords (underscores for spaces)."""
    return [{"role": role.replace("_", " "), "officer": o} for role, o in by_role.items()]
