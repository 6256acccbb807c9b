"""What people do in SA's own screens, not through its API (no auth, no call log).

A provider's SA already holds thousands of records before a benchmark starts, and its users edit
and delete records by hand, which no API call shows:

- ``POST /_sandbox/records/{kind}`` stores many records at once, each checked against the shape of
  SA's create (``LearnerCreate``…, an enrolment with its ``learnerId``), its links to records SA holds
  and its unique ``misId``; SA numbers or names each one as its API would. Answers ``[{id, misId}]``.
- ``PATCH /_sandbox/records/{kind}/{id}`` is a hand edit: the keys sent, checked as SA's PATCH checks
  them; ``modifiedAt`` moves, as for any write.
- ``DELETE /_sandbox/{kind}/{id}`` (learners, employers, assessors) and
  ``DELETE /_sandbox/learners/{id}/courses/{enrolmentId}`` are records deleted by hand (SA's API
  deletes nothing): SA answers 404 for them and a link to one names a record SA no longer has
  (DOMAIN.md D7). A learner takes its enrolments and activity with it. ``DELETE
  /_sandbox/records/enrolments/{id}`` is the enrolment's older spelling.
- ``POST /_sandbox/{kind}/{id}/restore`` and ``POST /_sandbox/learners/{id}/courses/{enrolmentId}/restore``
  bring a deleted record back, with its id and values (``sandbox.sa.deletions`` says what comes back,
  and when SA refuses); they answer the record.

``kind`` is ``learners``, ``employers``, ``assessors`` or ``enrolments``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ValidationError

from sandbox.sa import deletions
from sandbox.sa.assessors import AssessorCreate, AssessorPatch
from sandbox.sa.employers import EmployerCreate, EmployerPatch
from sandbox.sa.enrolments import NEW_PROGRESS, EnrolmentCreate, EnrolmentId, EnrolmentPatch
from sandbox.sa.errors import ApiError, validation_error
from sandbox.sa.models import LearnerCreate, LearnerPatch
from sandbox.sa.records import existing, insert, patch, referenced, stamped
from sandbox.sa.state import SandboxState, sandbox_state
from sandbox.sa.store import Record, Table

router = APIRouter(prefix="/_sandbox", tags=["sandbox"], include_in_schema=False)


class EnrolmentSeed(EnrolmentCreate):
    """An enrolment stored by hand names its learner."""

    learnerId: str


@dataclass(frozen=True)
class _Kind:
    table: str  # the SandboxState attribute
    what: str  # as SA's messages name it
    create: type[BaseModel]
    patch: type[BaseModel]
    links: Mapping[str, str]  # field → the table it must name a record of


KINDS: Mapping[str, _Kind] = {
    "learners": _Kind("learners", "learner", LearnerCreate, LearnerPatch,
                      {"employerId": "employers", "assessorId": "assessors"}),
    "employers": _Kind("employers", "employer", EmployerCreate, EmployerPatch, {}),
    "assessors": _Kind("assessors", "assessor", AssessorCreate, AssessorPatch, {}),
    "enrolments": _Kind("enrolments", "enrolment", EnrolmentSeed, EnrolmentPatch,
                        {"learnerId": "learners", "courseId": "courses", "assessorId": "assessors",
                         "secondAssessorId": "assessors"}),
}  # fmt: skip


@router.post("/records/{kind}")
async def store_records(kind: str, records: list[dict[str, Any]], request: Request) -> list[Record]:
    """Store the records, each as SA's create would (checked, numbered, stamped): ``[{id, misId}]``."""
    state, known = sandbox_state(request), _kind(kind)
    stored = [_store(state, known, fields) for fields in records]
    return [{"id": record["id"], "misId": record["misId"]} for record in stored]


@router.patch("/records/{kind}/{id}")
async def edit_record(kind: str, id: str, changes: dict[str, Any], request: Request) -> Record:
    """A hand edit: the keys sent, checked as SA's PATCH checks them; answers the record."""
    state, known = sandbox_state(request), _kind(kind)
    table = _table(state, known)
    record = existing(table, _record_id(known, id), known.what)
    fields = _checked(known.patch, changes).model_dump(exclude_unset=True)
    _check_links(state, known, fields)
    return patch(table, record, fields, known.what)


@router.delete("/records/enrolments/{id}")
async def delete_enrolment(id: int, request: Request) -> dict[str, str]:
    """An enrolment deleted by hand in SA's screens, named without its learner."""
    state = sandbox_state(request)
    existing(state.enrolments, id, "enrolment")
    deletions.delete(state, "enrolments", id)
    return {"status": "deleted"}


@router.delete("/learners/{id}/courses/{enrolmentId}")
async def delete_learner_enrolment(id: str, enrolment_id: EnrolmentId, request: Request) -> dict[str, str]:
    """One of the learner's enrolments deleted by hand; SA then answers 404 for it."""
    state = sandbox_state(request)
    _enrolment_of(state, id, enrolment_id)
    deletions.delete(state, "enrolments", enrolment_id)
    return {"status": "deleted"}


@router.post("/learners/{id}/courses/{enrolmentId}/restore")
async def restore_learner_enrolment(id: str, enrolment_id: EnrolmentId, request: Request) -> Record:
    """Bring back the learner's deleted enrolment, as it was; answer it."""
    state = sandbox_state(request)
    existing(state.learners, id, "learner")
    if deletions.deleted(state, "enrolments", enrolment_id).record["learnerId"] != id:
        raise ApiError(404, "not_found", f"The learner has no deleted enrolment with id {enrolment_id}.")
    return deletions.restore(state, "enrolments", enrolment_id)


@router.delete("/{kind}/{id}")
async def delete_record(kind: str, id: str, request: Request) -> dict[str, str]:
    """A learner (with its enrolments and activity), employer or assessor deleted by hand."""
    state, known = sandbox_state(request), _deletable(kind)
    record_id = _record_id(known, id)
    existing(_table(state, known), record_id, known.what)
    deletions.delete(state, kind, record_id)
    return {"status": "deleted"}


@router.post("/{kind}/{id}/restore")
async def restore_record(kind: str, id: str, request: Request) -> Record:
    """Bring back a deleted learner (with what it took), employer or assessor, as it was; answer it."""
    known = _deletable(kind)
    return deletions.restore(sandbox_state(request), kind, _record_id(known, id))


def _store(state: SandboxState, known: _Kind, fields: Mapping[str, Any]) -> Record:
    record = _checked(known.create, fields).model_dump()
    _check_links(state, known, record)
    if known.table == "learners":
        record = {"id": str(uuid.uuid4()), **record}
    elif known.table == "enrolments":
        if state.enrolments.find(learnerId=record["learnerId"], misId=record["misId"]):
            raise ApiError(409, "duplicate_mis_id", "The learner has an enrolment with this misId.", field="misId")
        record = {**record, **NEW_PROGRESS}
    return insert(_table(state, known), stamped(record), known.what)


def _checked(model: type[BaseModel], fields: Mapping[str, Any]) -> BaseModel:
    try:
        return model.model_validate(dict(fields))
    except ValidationError as invalid:
        raise validation_error(invalid.errors()[0]) from None


def _check_links(state: SandboxState, known: _Kind, fields: Mapping[str, Any]) -> None:
    for name, table in known.links.items():
        what = table.removesuffix("s")
        referenced(getattr(state, table), fields.get(name), field=name, what=what)


def _kind(kind: str) -> _Kind:
    if kind not in KINDS:
        raise ApiError(404, "not_found", f"No record kind {kind}; the kinds are {', '.join(KINDS)}.")
    return KINDS[kind]


def _deletable(kind: str) -> _Kind:
    """The kinds deleted by their own path; an enrolment is named under its learner."""
    if kind == "enrolments":
        path = "/_sandbox/learners/{id}/courses/{enrolmentId}"
        raise ApiError(404, "not_found", f"An enrolment is deleted and restored under its learner: {path}.")
    return _kind(kind)


def _enrolment_of(state: SandboxState, learner_id: str, enrolment_id: int) -> Record:
    """The learner's enrolment, or SA's 404 (for the learner, or for the enrolment)."""
    existing(state.learners, learner_id, "learner")
    enrolment = state.enrolments.get(enrolment_id)
    if enrolment is None or enrolment["learnerId"] != learner_id:
        raise ApiError(404, "not_found", f"The learner has no enrolment with id {enrolment_id}.")
    return enrolment


def _table(state: SandboxState, known: _Kind) -> Table:
    table: Table = getattr(state, known.table)
    return table


def _record_id(known: _Kind, text: str) -> Any:
    """Learners have GUIDs; SA numbers the others."""
    if known.table == "learners":
        return text
    if not text.isdigit():
        raise ApiError(404, "not_found", f"No {known.what} has id {text}.")
    return int(text)
