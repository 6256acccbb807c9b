"""What every SA resource router does with its table: create, fetch, patch, page and refuse."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import Query, Request, Response

from sandbox.sa.errors import ApiError
from sandbox.sa.store import DuplicateKey, Record, Table, now_iso

PageNumber = Annotated[int, Query(ge=1)]
PageSize = Annotated[int, Query(alias="pageSize", ge=1, le=200)]


def stamped(fields: Mapping[str, Any]) -> Record:
    """A new record's fields with ``createdAt`` = ``updatedAt`` = ``modifiedAt`` = now."""
    now = now_iso()
    return {**fields, "createdAt": now, "updatedAt": now, "modifiedAt": now}


def insert(table: Table, record: Record, what: str) -> Record:
    """Store a new record (numbered by the table if it has no id); 409 if its ``misId`` is taken."""
    with unique_mis_id(what):
        return table.insert(record)


def located(request: Request, response: Response, record: Record) -> Record:
    """Answer a create with ``Location`` naming the new record (the call log reads its id)."""
    response.headers["Location"] = f"{request.url.path}/{record['id']}"
    return record


def existing(table: Table, record_id: Any, what: str) -> Record:
    """The record with this id, or SA's 404."""
    record = table.get(record_id)
    if record is None:
        raise ApiError(404, "not_found", f"No {what} has id {record_id}.")
    return record


def patch(table: Table, record: Record, changes: Mapping[str, Any], what: str) -> Record:
    """Apply the keys that differ; ``updatedAt`` and ``modifiedAt`` (section 7 v2) move only when a value
    changes, by the API or by the sandbox's own simulation."""
    changed = {key: value for key, value in changes.items() if record.get(key) != value}
    if not changed:
        return record
    now = now_iso()
    with unique_mis_id(what):
        return table.update(record["id"], {**changed, "updatedAt": now, "modifiedAt": now})


def page_of(matches: Sequence[Record], page: int, page_size: int) -> dict[str, Any]:
    """SA's page ``{items, page, pageSize, total}`` of ``matches``."""
    start = (page - 1) * page_size
    items = list(matches[start : start + page_size])
    return {"items": items, "page": page, "pageSize": page_size, "total": len(matches)}


def given(**criteria: Any) -> dict[str, Any]:
    """The search criteria that were given (not None)."""
    return {key: value for key, value in criteria.items() if value is not None}


def referenced(table: Table, record_id: int | str | None, *, field: str, what: str) -> None:
    """422 ``unknown_<what>`` on ``field`` unless ``record_id`` is None or names a record."""
    if record_id is not None and table.get(record_id) is None:
        raise ApiError(422, f"unknown_{what}", f"No {what} has id {record_id}.", field=field)


@contextmanager
def unique_mis_id(what: str) -> Iterator[None]:
    """Turn the table's DuplicateKey into SA's 409."""
    try:
        yield
    except DuplicateKey as exc:
        message = f"A{'n' if what[0] in 'aeiou' else ''} {what} has this misId."
        raise ApiError(409, "duplicate_mis_id", message, field="misId") from exc
