"""In-memory stand-ins for the executor's ports, for unit tests of pure rules and the executor."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sync_core.errors import SaNotFound


class FakeSa:
    """Holds SA records in dicts and logs every call as (method, target)."""

    def __init__(self) -> None:
        self.learners: dict[str, dict[str, Any]] = {}
        self.employers: dict[str, dict[str, Any]] = {}
        self.assessors: dict[str, dict[str, Any]] = {}
        self.enrolments: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, str]] = []
        self.updates: list[tuple[str, str, dict[str, Any]]] = []  # (kind, SA id, fields sent)
        self._ids = itertools.count(1001)

    def _new(self, table: dict[str, dict[str, Any]], kind: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        sa_id = f"g{next(self._ids)}" if kind == "learner" else str(next(self._ids))
        table[sa_id] = {**fields, "id": sa_id if kind == "learner" else int(sa_id)}
        self.calls.append((f"create {kind}", sa_id))
        return table[sa_id]

    def _find(self, table: dict[str, dict[str, Any]], kind: str, **criteria: Any) -> list[dict[str, Any]]:
        self.calls.append((f"find {kind}", ",".join(f"{k}={v}" for k, v in criteria.items() if v)))
        return [r for r in table.values() if all(v is None or r.get(k) == v for k, v in criteria.items())]

    def _get(self, table: dict[str, dict[str, Any]], kind: str, sa_id: Any) -> dict[str, Any]:
        self.calls.append((f"get {kind}", str(sa_id)))
        if str(sa_id) not in table:  # as SA answers for a record it does not hold (D7)
            raise SaNotFound(f"Smart Assessor answered 404 to GET /{kind}s/{{id}}")
        return table[str(sa_id)]

    def _update(
        self, table: dict[str, dict[str, Any]], kind: str, sa_id: Any, fields: Mapping[str, Any]
    ) -> dict[str, Any]:
        self.calls.append((f"update {kind}", str(sa_id)))
        self.updates.append((kind, str(sa_id), dict(fields)))
        table[str(sa_id)].update(fields)
        return table[str(sa_id)]

    def create_learner(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        return self._new(self.learners, "learner", fields)

    def find_learners(self, *, mis_id: str | None = None, uln: str | None = None) -> list[dict[str, Any]]:
        return self._find(self.learners, "learner", misId=mis_id, uln=uln)

    def get_learner(self, sa_id: str) -> dict[str, Any]:
        return self._get(self.learners, "learner", sa_id)

    def update_learner(self, sa_id: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        return self._update(self.learners, "learner", sa_id, fields)

    def create_employer(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        return self._new(self.employers, "employer", fields)

    def find_employers(
        self, *, mis_id: str | None = None, edrs_number: str | None = None, postcode: str | None = None
    ) -> list[dict[str, Any]]:
        return self._find(self.employers, "employer", misId=mis_id, edrsNumber=edrs_number, postcode=postcode)

    def get_employer(self, sa_id: int | str) -> dict[str, Any]:
        return self._get(self.employers, "employer", sa_id)

    def update_employer(self, sa_id: int | str, fields: Mapping[str, Any]) -> dict[str, Any]:
        return self._update(self.employers, "employer", sa_id, fields)

    def create_assessor(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        return self._new(self.assessors, "assessor", fields)

    def find_assessors(self, *, mis_id: str | None = None, email: str | None = None) -> list[dict[str, Any]]:
        return self._find(self.assessors, "assessor", misId=mis_id, email=email)

    def get_assessor(self, sa_id: int | str) -> dict[str, Any]:
        return self._get(self.assessors, "assessor", sa_id)

    def update_assessor(self, sa_id: int | str, fields: Mapping[str, Any]) -> dict[str, Any]:
        return self._update(self.assessors, "assessor", sa_id, fields)

    def enrol(self, learner_id: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        return self._new(self.enrolments, "enrolment", {**fields, "learnerId": learner_id})

    def list_enrolments(self, learner_id: str) -> list[dict[str, Any]]:
        return self._find(self.enrolments, "enrolment", learnerId=learner_id)

    def update_enrolment(self, learner_id: str, enrolment_id: int | str, fields: Mapping[str, Any]) -> dict[str, Any]:
        return self._update(self.enrolments, "enrolment", enrolment_id, fields)

    def writes(self) -> list[tuple[str, str]]:
        """The calls that change SA."""
        return [call for call in self.calls if not call[0].startswith(("find", "get"))]


class FakeState:
    """Pushed hashes, links, creation guard, PICS write-backs and rule lookups, in memory."""

    def __init__(self, courses: Mapping[str, str] | None = None) -> None:
        self.hashes: dict[str, str] = {}
        self.links: dict[tuple[str, str], str] = {}
        self.written_back: dict[tuple[str, str], str] = {}
        self.courses = dict(courses or {})
        self.guarded: list[tuple[str, str]] = []

    def holding(self, wanted: Mapping[str, str]) -> set[str]:
        return {resource for resource, digest in wanted.items() if self.hashes.get(resource) == digest}

    def sa_id(self, entity: str, pics_id: str) -> str | None:
        return self.links.get((entity, pics_id))

    def link(self, entity: str, pics_id: str, sa_id: str) -> None:
        self.links[(entity, pics_id)] = sa_id

    @contextmanager
    def guard(self, entity: str, pics_id: str) -> Iterator[None]:
        self.guarded.append((entity, pics_id))
        yield

    def write_back(self, entity: str, pics_id: str, sa_id: str) -> None:
        self.written_back[(entity, pics_id)] = sa_id

    def course_id(self, qualification_reference: str) -> str | None:
        return self.courses.get(qualification_reference)


HASH_KEY = b"a unit test's pushed-state hash key"  # ExecutorPorts.hash_key in unit tests
