"""The ports the executor talks through, as Protocols: SA, the sync state, and PICS write-backs."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any, Protocol


class SaApi(Protocol):
    """The Smart Assessor calls a plan can need (``SaClient`` implements them)."""

    def create_learner(self, fields: Mapping[str, Any]) -> dict[str, Any]: ...
    def find_learners(self, *, mis_id: str | None = None, uln: str | None = None) -> list[dict[str, Any]]: ...
    def update_learner(self, sa_id: str, fields: Mapping[str, Any]) -> dict[str, Any]: ...
    def create_employer(self, fields: Mapping[str, Any]) -> dict[str, Any]: ...
    def find_employers(
        self, *, mis_id: str | None = None, edrs_number: str | None = None, postcode: str | None = None
    ) -> list[dict[str, Any]]: ...
    def update_employer(self, sa_id: int | str, fields: Mapping[str, Any]) -> dict[str, Any]: ...
    def create_assessor(self, fields: Mapping[str, Any]) -> dict[str, Any]: ...
    def find_assessors(self, *, mis_id: str | None = None, email: str | None = None) -> list[dict[str, Any]]: ...
    def update_assessor(self, sa_id: int | str, fields: Mapping[str, Any]) -> dict[str, Any]: ...
    def enrol(self, learner_id: str, fields: Mapping[str, Any]) -> dict[str, Any]: ...
    def list_enrolments(self, learner_id: str) -> list[dict[str, Any]]: ...
    def update_enrolment(
        self, learner_id: str, enrolment_id: int | str, fields: Mapping[str, Any]
    ) -> dict[str, Any]: ...


class PushedState(Protocol):
    """Remembers a hash of what was last pushed to each SA resource (X1): one field of one record."""

    def holding(self, wanted: Mapping[str, str]) -> set[str]:
        """The resources of ``wanted`` (SA resource → content hash) whose last push had that hash."""
        ...


class LinkStore(Protocol):
    """PICS id ↔ SA id links."""

    def sa_id(self, entity: str, pics_id: str) -> str | None: ...
    def link(self, entity: str, pics_id: str, sa_id: str) -> None: ...


class CreationGuard(Protocol):
    """Serialises the link-or-create of one PICS record across threads and processes."""

    def guard(self, entity: str, pics_id: str) -> AbstractContextManager[None]: ...


class PicsWriteBack(Protocol):
    """Writes an SA id back to PICS (Additional ID, Smart Assessor ID: U2, U3, U8)."""

    def write_back(self, entity: str, pics_id: str, sa_id: str) -> None: ...


def no_checkpoint(_name: str) -> None:
    """The default fault hook: do nothing."""
