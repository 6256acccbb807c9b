"""Smart Assessor's endpoints as ``sa_client`` calls them: method and path template.

Part of the SA adapter: only ``sa_client`` builds URLs from these. ``{id}`` is SA's id of the
record (for a learner's courses, sessions, OTJ and Smart Coach, the learner's); ``{enrolmentId}``
that of the enrolment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import quote

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Endpoint:
    """One SA endpoint: method and path template, as the sandbox's OpenAPI document lists it."""

    method: str
    path: str

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    @cached_property  # asked on every call (``where``); the template never changes
    def placeholders(self) -> tuple[str, ...]:
        """The template's ``{names}``, in order."""
        return tuple(_PLACEHOLDER.findall(self.path))

    def url(self, *ids: str | int) -> str:
        """The path with ``ids`` in its placeholders, in order, each percent-encoded."""
        if len(ids) != len(self.placeholders):
            raise ValueError(f"{self} takes {len(self.placeholders)} id(s), not {len(ids)}")
        values = iter(ids)
        return _PLACEHOLDER.sub(lambda _: quote(str(next(values)), safe=""), self.path)

    def where(self, *ids: str | int) -> str:
        """How error messages name a call: ``PATCH /learners/{id} (id 42)``; ids only, no values."""
        named = ", ".join(f"{name} {value}" for name, value in zip(self.placeholders, ids, strict=True))
        return f"{self} ({named})" if named else str(self)


TOKEN = Endpoint("POST", "/auth/token")
CREATE_LEARNER = Endpoint("POST", "/learners")
GET_LEARNER = Endpoint("GET", "/learners/{id}")
UPDATE_LEARNER = Endpoint("PATCH", "/learners/{id}")
FIND_LEARNERS = Endpoint("GET", "/learners")
CREATE_EMPLOYER = Endpoint("POST", "/employers")
GET_EMPLOYER = Endpoint("GET", "/employers/{id}")
UPDATE_EMPLOYER = Endpoint("PATCH", "/employers/{id}")
FIND_EMPLOYERS = Endpoint("GET", "/employers")
CREATE_ASSESSOR = Endpoint("POST", "/assessors")
GET_ASSESSOR = Endpoint("GET", "/assessors/{id}")
UPDATE_ASSESSOR = Endpoint("PATCH", "/assessors/{id}")
FIND_ASSESSORS = Endpoint("GET", "/assessors")
LIST_COURSES = Endpoint("GET", "/courses")
ENROL = Endpoint("POST", "/learners/{id}/courses")
LIST_ENROLMENTS = Endpoint("GET", "/learners/{id}/courses")
GET_ENROLMENT = Endpoint("GET", "/learners/{id}/courses/{enrolmentId}")
UPDATE_ENROLMENT = Endpoint("PATCH", "/learners/{id}/courses/{enrolmentId}")
LIST_SESSIONS = Endpoint("GET", "/learners/{id}/sessions")
GET_OTJ = Endpoint("GET", "/learners/{id}/otj")
GET_SMART_COACH = Endpoint("GET", "/learners/{id}/smart-coach")

#: Every endpoint the client calls; a test checks each is in the sandbox's OpenAPI document.
ENDPOINTS = (
    TOKEN,
    CREATE_LEARNER,
    GET_LEARNER,
    UPDATE_LEARNER,
    FIND_LEARNERS,
    CREATE_EMPLOYER,
    GET_EMPLOYER,
    UPDATE_EMPLOYER,
    FIND_EMPLOYERS,
    CREATE_ASSESSOR,
    GET_ASSESSOR,
    UPDATE_ASSESSOR,
    FIND_ASSESSORS,
    LIST_COURSES,
    ENROL,
    LIST_ENROLMENTS,
    GET_ENROLMENT,
    UPDATE_ENROLMENT,
    LIST_SESSIONS,
    GET_OTJ,
    GET_SMART_COACH,
)
