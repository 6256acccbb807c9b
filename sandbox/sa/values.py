"""The values SA accepts, field kind by field kind, and its one-line reason for refusing any other.

A real API refuses what cannot be true of a learner: a date of birth in the future, an e-mail address
with no domain, an NI number or ULN that is not one, a name of spaces, a NUL in a surname, 10^308 hours.
The sandbox refuses the same (422 on the field), so the product's refusal path meets real refusals.
Each type's JSON schema says what it accepts, so the served OpenAPI document is the contract; a rule a
pattern cannot say (the ULN's check digit, the NI prefixes never issued) is in its description.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Annotated

from pydantic import AfterValidator, Field, StrictFloat

EARLIEST, LATEST = date(1900, 1, 1), date(2099, 12, 31)  # the dates SA keeps
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
_NOT_BLANK = r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$"
_EMAIL = re.compile(
    r"[^@\s]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+"
)
# HMRC: two prefix letters (not D, F, I, Q, U or V; the second not O either), six digits, suffix A–D; or
# empty, as SA's own screen leaves a number someone cleared.
_NI_NUMBER = r"^(?:[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][0-9]{6}[A-D])?$"
_NI_NEVER_ISSUED = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})
_ULN = r"^[1-9][0-9]{9}$"
_TEMPORARY_ULN = "9999999999"  # the ESFA's "not known yet", valid whatever its check digit says
MOST_HOURS = 10_000.0  # far above any apprenticeship's off-the-job hours (about 280–1,300)


def printable(value: str) -> str:
    """No control characters (a NUL, a newline, an escape) in a value SA stores and shows."""
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def calendar_date(value: str) -> str:
    """An ISO date that exists (not 2024-02-30) in the years SA keeps."""
    day = date.fromisoformat(value)  # the pattern checks the shape
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"must be between {EARLIEST} and {LATEST}")
    return value


def past_date(value: str) -> str:
    if date.fromisoformat(value) > date.today():
        raise ValueError("must not be in the future")
    return value


def email_address(value: str) -> str:
    """Someone's address at a domain with a dot in it, as mail is delivered to."""
    if not _EMAIL.fullmatch(value):
        raise ValueError("must be an e-mail address, as in name@example.org")
    return value


def ni_number(value: str) -> str:
    if not re.fullmatch(_NI_NUMBER, value) or value[:2] in _NI_NEVER_ISSUED:
        raise ValueError("must be a National Insurance number, as in AB123456C (capitals, no spaces)")
    return value


def uln_check_digit(value: str) -> bool:
    """The ESFA's rule: the first nine digits weighted 10 down to 2, summed, mod 11; the tenth digit is 10
    less that remainder (a remainder of 0 makes no valid ULN)."""
    remainder = sum(int(digit) * weight for digit, weight in zip(value[:9], range(10, 1, -1), strict=True)) % 11
    return remainder != 0 and int(value[9]) == 10 - remainder


def uln(value: str) -> str:
    if value != _TEMPORARY_ULN and not uln_check_digit(value):
        raise ValueError("is not a Unique Learner Number: its check digit is wrong")
    return value


def finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a number")
    return value


IsoDate = Annotated[
    str,
    Field(pattern=r"^\d{4}-\d{2}-\d{2}$", json_schema_extra={"format": "date"}),
    AfterValidator(calendar_date),
]
DateOfBirth = Annotated[IsoDate, AfterValidator(past_date), Field(description="Not in the future")]
Uln = Annotated[
    str,
    Field(pattern=_ULN, description="Unique Learner Number: 10 digits, the last a check digit (ESFA's mod 11)"),
    AfterValidator(uln),
]
Text = Annotated[str, Field(max_length=500, json_schema_extra={"pattern": _PRINTABLE}), AfterValidator(printable)]
Name = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        json_schema_extra={"pattern": _NOT_BLANK},
    ),
    AfterValidator(printable),
    AfterValidator(not_blank),
]
Email = Annotated[str, Field(max_length=254, json_schema_extra={"format": "email"}), AfterValidator(email_address)]
# A learner's e-mail address, or empty: SA's own screen leaves "" where someone cleared it (an SA blank, D1).
EmailOrBlank = Annotated[
    str,
    Field(max_length=254, json_schema_extra={"anyOf": [{"maxLength": 0}, {"format": "email"}]}),
    AfterValidator(lambda value: email_address(value) if value else value),
]
NiNumber = Annotated[
    str,
    Field(
        json_schema_extra={"pattern": _NI_NUMBER},
        description="National Insurance number (empty: none); BG, GB, KN, NK, NT, TN and ZZ are never issued",
    ),
    AfterValidator(ni_number),
]
Hours = Annotated[StrictFloat, Field(ge=0, le=MOST_HOURS), AfterValidator(finite)]
