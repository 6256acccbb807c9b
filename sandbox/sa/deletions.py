"""Records deleted by hand in SA's screens, kept so that the sandbox can put them back as they were.

A deleted record is gone from SA: its GET and PATCH answer 404 and no search or list shows it.

- A learner takes with it its enrolments, the sessions it owns (so a group session it hosts leaves
  the other learners' lists too) and its activity: actual OTJ hours, Smart Coach score and membership.
- An employer, an assessor or an enrolment goes alone. Records that name a deleted record keep its id
  (a learner's ``employerId``, a session's ``assessorId``, a group session's ``learnerIds``), as SA
  leaves them when someone deletes by hand, so SA then names an id it answers 404 for.
- Restoring puts back every record the deletion took, under its id, with its values and in its place
  in the oldest-first lists; an enrolment only to its learner while SA holds it. Welcome emails already
  sent stay sent. When SA now holds a record under one of those ids (after a snapshot restore reused
  it) or with one of their ``misId`` values (someone created it again), the restore is a 409 and
  changes nothing.

What was deleted is the harness's, not SA's: a snapshot restore leaves it be, a reset forgets it, and
deleting a record again keeps only the newer deletion.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from sandbox.sa.errors import ApiError
from sandbox.sa.store import Record, Row, Table

if TYPE_CHECKING:
    from sandbox.sa.state import SandboxState

#: The tables whose records a learner owns (by ``learnerId``), deleted and restored with it.
LEARNERS_OWN = ("enrolments", "sessions")
V = TypeVar("V")


@dataclass(frozen=True)
class LearnerActivity:
    """What SA tracked of one learner beside its records: each part empty when SA held none."""

    otj_actual_hours: Mapping[str, float]
    smart_coach_score: Mapping[str, float | None]
    not_in_smart_coach: bool

    @classmethod
    def take(cls, state: SandboxState, learner_id: str) -> LearnerActivity:
        """Remove the learner's activity from ``state`` and hold it."""
        outside = learner_id in state.not_in_smart_coach
        state.not_in_smart_coach.discard(learner_id)
        otj, score = _pop(state.otj_actual_hours, learner_id), _pop(state.smart_coach_scores, learner_id)
        return cls(otj, score, outside)

    def put_back(self, state: SandboxState, learner_id: str) -> None:
        state.otj_actual_hours.update(self.otj_actual_hours)
        state.smart_coach_scores.update(self.smart_coach_score)
        if self.not_in_smart_coach:
            state.not_in_smart_coach.add(learner_id)


@dataclass(frozen=True)
class Deleted:
    """One hand deletion: the record, the records it took with it by table, a learner's activity."""

    kind: str
    row: Row
    dependants: Mapping[str, tuple[Row, ...]]
    activity: LearnerActivity | None = None

    @property
    def record(self) -> Record:
        return self.row.record


def delete(state: SandboxState, kind: str, record_id: Any) -> None:
    """Delete the record of ``kind`` SA holds under ``record_id`` (the caller checked it does)."""
    row = _table(state, kind).remove(record_id)
    dependants: dict[str, tuple[Row, ...]] = {}
    activity = None
    if kind == "learners":
        dependants = {name: _remove_all(_table(state, name), learnerId=record_id) for name in LEARNERS_OWN}
        activity = LearnerActivity.take(state, record_id)
    state.deleted[(kind, record_id)] = Deleted(kind, row, dependants, activity)


def deleted(state: SandboxState, kind: str, record_id: Any) -> Deleted:
    """The deletion of that record, or a 404 when it was not deleted (or was restored since)."""
    found = state.deleted.get((kind, record_id))
    if found is None:
        raise ApiError(404, "not_found", f"No deleted {_what(kind)} has id {record_id}.")
    return found


def restore(state: SandboxState, kind: str, record_id: Any) -> Record:
    """Put back the deleted record and what it took with it; 409 (nothing changed) if SA holds a clash."""
    found = deleted(state, kind, record_id)
    _check_fits(state, found)
    _table(state, kind).put_back([found.row])
    for name, rows in found.dependants.items():
        _table(state, name).put_back(rows)
    if found.activity is not None:
        found.activity.put_back(state, record_id)
    del state.deleted[(kind, record_id)]
    return found.record


def _check_fits(state: SandboxState, found: Deleted) -> None:
    """409 when a record to put back clashes with one SA holds now, or an enrolment's learner is gone."""
    if found.kind == "enrolments":
        _check_enrolment_fits(state, found.record)
    for name, rows in [(found.kind, (found.row,)), *found.dependants.items()]:
        for row in rows:
            key = _table(state, name).clash(row.record)
            if key is not None:
                record_id = row.record["id"] if key == "id" else row.record[key]
                message = f"SA holds another {_what(name)} with {key} {record_id}."
                raise ApiError(409, "duplicate_id" if key == "id" else "duplicate_mis_id", message, field=key)


def _check_enrolment_fits(state: SandboxState, enrolment: Record) -> None:
    learner_id = enrolment["learnerId"]
    if state.learners.get(learner_id) is None:
        raise ApiError(409, "learner_deleted", f"Restore learner {learner_id} first.", field="learnerId")
    if state.enrolments.find(learnerId=learner_id, misId=enrolment["misId"]):
        message = "The learner has an enrolment with this misId."
        raise ApiError(409, "duplicate_mis_id", message, field="misId")


def _remove_all(table: Table, **criteria: Any) -> tuple[Row, ...]:
    return tuple(table.remove(record["id"]) for record in table.find(**criteria))


def _pop(values: dict[str, V], key: str) -> dict[str, V]:
    """``{key: value}`` taken out of ``values``; empty when it held none."""
    return {key: values.pop(key)} if key in values else {}


def _table(state: SandboxState, name: str) -> Table:
    table: Table = getattr(state, name)
    return table


def _what(kind: str) -> str:
    return kind.removesuffix("s")
