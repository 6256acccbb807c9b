"""The lookups a rule may make, on the database: links and qualification links."""

from __future__ import annotations

from sync_core.pics.qualification_links import QualificationLinks
from sync_core.state.links import LinkRepository


class DatabaseLookups:
    """Implements ``rules.fields.Lookups``."""

    def __init__(self, links: LinkRepository, courses: QualificationLinks) -> None:
        self._links, self._courses = links, courses

    def sa_id(self, entity: str, pics_id: str) -> str | None:
        """The SA id linked to a PICS record."""
        return self._links.sa_id(entity, pics_id)

    def course_id(self, qualification_reference: str) -> str | None:
        """The SA course of a supported Qualification Reference."""
        return self._courses.course_id(qualification_reference)
