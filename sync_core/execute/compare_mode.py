"""Plans run against SA's current records (``execute(..., compare=True)``): D1, D2, D4 of DOMAIN.md §5b.

X1 compares with what we last pushed, so an edit made by hand in SA is invisible to it. Here SA's
record is read (each once per run, ``SaRecords``) and an Update sends only the fields SA does not
hold (``sync_core.drift.compare``), whatever the memo says; each such field, each enrolment made
(U5) and each SA enrolment that is none of PICS's qualifications (D2, never deleted) is returned
as a ``Difference``. A dry run reads and searches as the real run does, so it lists exactly the
writes the real run would make (D4).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sync_core.drift.compare import Action, Difference, unmatched
from sync_core.errors import SaNotFound
from sync_core.execute.protocols import SaApi
from sync_core.plan import Ref, ReportOrphanEnrolments, SaId

Call = Callable[..., Any]  # (fn, *args) → fn's result, counted as one SA call


@dataclass
class SaRecords:
    """SA's records as one run reads them: each read once, then as the run's own writes leave them."""

    sa: SaApi
    read: Call
    records: dict[str, dict[str, Any]] = field(default_factory=dict)  # "learner:<SA id>" → record
    enrolments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # learner SA id → its enrolments
    missing: dict[str, SaNotFound] = field(default_factory=dict)  # records SA answered not found for (D7)

    def held(self, kind: str, target: str, learner_id: str | None) -> dict[str, Any]:
        """The record as SA holds it now (an enrolment SA does not list: empty); the run may update it. SA's
        not found is remembered as well: a record read ahead (``executor._read_ahead``) is not read twice."""
        resource = f"{kind}:{target}"
        if resource in self.missing:
            raise self.missing[resource]
        if resource not in self.records:
            try:
                self.records[resource] = self._read(kind, target, learner_id)
            except SaNotFound as gone:
                self.missing[resource] = gone
                raise
        return self.records[resource]

    def enrolments_of(self, learner_id: str) -> list[dict[str, Any]]:
        """The learner's enrolments, read with one call however many courses the plan touches."""
        if learner_id not in self.enrolments:
            self.enrolments[learner_id] = [dict(e) for e in self.read(self.sa.list_enrolments, learner_id)]
        return self.enrolments[learner_id]

    def _read(self, kind: str, target: str, learner_id: str | None) -> dict[str, Any]:
        if kind == "enrolment":
            listed = self.enrolments_of(str(learner_id))
            return next((e for e in listed if str(e.get("id")) == target), {})
        getter = {"learner": self.sa.get_learner, "employer": self.sa.get_employer,
                  "assessor": self.sa.get_assessor}[kind]  # fmt: skip
        return dict(self.read(getter, target))


def gone(records: SaRecords, kind: str, sa_id: str, ours: Callable[[Mapping[str, Any]], bool]) -> bool:
    """D7: SA answers not found for the linked learner, employer or assessor, or the id names a record that
    is not ours (``Natural.ours``) (read once; the run's later comparison of it uses that read)."""
    try:
        return not ours(records.held(kind, sa_id, None))
    except SaNotFound:
        return True


def gone_enrolment(records: SaRecords, learner_id: str, sa_id: str, ours: Callable[[Mapping[str, Any]], bool]) -> bool:
    """D2, D7: the linked enrolment is none of those SA lists for the learner (deleted in SA since), or is
    another qualification's: it is to be found again by its MIS id or enrolled (U5)."""
    return not any(str(e.get("id")) == sa_id and ours(e) for e in records.enrolments_of(learner_id))


def pics_id_of(target: SaId, held: Mapping[str, Any]) -> str | None:
    """The PICS record an Update is about: its Ref's, else the MIS id SA holds it under (U1–U3, U5)."""
    if isinstance(target, Ref):
        return target.pics_id
    mis_id = held.get("misId")
    return None if mis_id is None else str(mis_id)


def pushed(kind: str, resource: str, pics_id: str | None, names: Iterable[str], *, dry_run: bool) -> list[Difference]:
    """D1: one Difference per field sent (or, in a dry run, that would be)."""
    action: Action = "would push" if dry_run else "pushed"
    return [Difference(kind, resource, pics_id, name, "push", action) for name in names]


def created(entity: str, pics_id: str, sa_id: str | None) -> list[Difference]:
    """D2 / U5: an enrolment made (``sa_id`` None: a dry run's, not made). An employer or assessor
    created for a record SA never held is a first upload (U2, U3), not a difference."""
    if entity != "enrolment":
        return []
    if sa_id is None:
        return [Difference("enrolment", None, pics_id, "courseId", "push", "would enrol")]
    return [Difference("enrolment", f"enrolment:{sa_id}", pics_id, "courseId", "push", "enrolled")]


def orphans(enrolments: list[dict[str, Any]], step: ReportOrphanEnrolments) -> list[Difference]:
    """D2: the SA enrolments that are none of PICS's qualifications, reported (never deleted)."""
    return [
        Difference("enrolment", f"enrolment:{e.get('id')}", None, "courseId", "push", "reported")
        for e in unmatched(enrolments, step.qualification_ids, step.course_ids)
    ]
