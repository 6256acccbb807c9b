"""The two values of one learner's recorded differences, read again from PICS and SA (D3).

The drift record keeps no value; an operator who needs them asks for one learner's explicitly
(``pics-sync reconcile report --values``), as ``dlq show --payload`` shows a payload. What this
returns is personal data: it is printed on that request only, and nothing here logs it.

The values are as the two systems hold them now, not as they were when the difference was found: a
difference repaired since shows two equal values. PICS's value of a pushed field (SA's name) is what
the rules would set from PICS's current record (R1's plan, G1 and O1 for the employer and
assessors), its links to SA records resolved; SA's is the SA record's field. A pulled field is
recorded under SA's name too (``sync_core.fields.PULLED_AS``); PICS's value is the PICS record's
column of that name and SA's is what the pull reads from SA (``sync_core.pull.items``), from the
record the difference names or, for a learner or a course, the learner's and the course's linked one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from consumers.service import Service
from sync_core import clock
from sync_core.errors import SaNotFound
from sync_core.fields import PULLED_AS, Lookups
from sync_core.pics.snapshot import learner_snapshot
from sync_core.plan import Plan, Ref, Update
from sync_core.pull import items
from sync_core.rules.gate import learner_sa_id
from sync_core.rules.organisation import plan_officer_edited, plan_organisation_edited
from sync_core.rules.refresh import plan_refresh_requested
from sync_core.settings import IntegrationSettings
from sync_core.state.drift import DriftLog, DriftRecord

Key = tuple[str, str]  # (entity, PICS id)
Record = Mapping[str, Any]
# A pulled field's PICS column, per entity, from the SA name it is recorded under.
_COLUMN: Mapping[str, Mapping[str, str]] = {
    entity: {sa: pics for pics, sa in PULLED_AS[table].items()}
    for entity, table in {"learner": "learner", "enrolment": "learner_qualification", "employer": "organisation",
                          "assessor": "officer"}.items()
}  # fmt: skip
# The pull's reader of an SA record, per entity: the SA record under PICS's names.
_PULLED: Mapping[str, Callable[[Record], dict[str, Any]]] = {
    "learner": items.demographics, "enrolment": items.course_dates,
    "employer": items.employer_details, "assessor": items.officer_details,
}  # fmt: skip


@dataclass(frozen=True)
class Shown:
    """The newest record of one field of one record, and the two values as PICS and SA hold them now.

    ``pics_note``/``sa_note`` say why a value could not be given (then the value is None)."""

    record: DriftRecord
    pics: Any
    sa: Any
    pics_note: str | None = None
    sa_note: str | None = None


def learner_values(service: Service, learner_ident: str) -> list[Shown] | None:
    """Each field of the learner's recorded differences (its own, its enrolments', employer's and assessors'),
    newest first, with both values; None when PICS has no such learner."""
    snapshot = learner_snapshot(service.pool, learner_ident)
    if snapshot is None:
        return None
    records = _newest_per_field(DriftLog(service.pool).of_learner(learner_ident, related(snapshot)))
    ports = service.ports
    wanted = pushed_values(snapshot, ports.settings(), ports.lookups, clock.today(service.config.zone))
    held = _SaRecords(service, learner_sa_id(snapshot["learner"], ports.lookups))
    return [_shown(record, snapshot, wanted, held) for record in records]


def related(snapshot: Record) -> list[Key]:
    """The PICS records of a learner's snapshot other than the learner: enrolments, employer, assessors."""
    keys = [("enrolment", str(q["qualification_id"])) for q in snapshot["qualifications"]]
    if snapshot["placement"] is not None:
        keys.append(("employer", str(snapshot["placement"]["organisation_id"])))
    return keys + [("assessor", str(o["officer_id"])) for o in _officers(snapshot).values()]


def pushed_values(
    snapshot: Record, settings: IntegrationSettings, lookups: Lookups, today: date
) -> dict[Key, dict[str, Any]]:
    """Per PICS record, the SA fields and values the rules would set from this snapshot under the settings."""
    ident = str(snapshot["learner"]["learner_ident"])
    wanted = _updates(plan_refresh_requested(snapshot, settings, lookups, today), ("learner", ident), lookups)
    if snapshot["placement"] is not None:
        org = snapshot["placement"]
        plan = plan_organisation_edited({"organisation": org}, settings, lookups, today)
        wanted |= _updates(plan, ("employer", str(org["organisation_id"])), lookups)
    for officer_id, officer in _officers(snapshot).items():
        plan = plan_officer_edited({"officer": officer}, settings, lookups, today)
        wanted |= _updates(plan, ("assessor", officer_id), lookups)
    return wanted


def _updates(plan: Plan, key: Key, lookups: Lookups) -> dict[Key, dict[str, Any]]:
    """The plan's Update steps by PICS record (an enrolment's is its Ref's; any other, ``key``)."""
    wanted: dict[Key, dict[str, Any]] = {}
    for step in plan:
        if isinstance(step, Update):
            target = (step.target.entity, step.target.pics_id) if isinstance(step.target, Ref) else key
            wanted.setdefault(target, {}).update({f: _resolved(v, lookups) for f, v in step.fields.items()})
    return wanted


def _resolved(value: Any, lookups: Lookups) -> Any:
    """A Ref as the SA id it is linked to (None: not linked yet); any other value as it is."""
    return lookups.sa_id(value.entity, value.pics_id) if isinstance(value, Ref) else value


def _officers(snapshot: Record) -> dict[str, Record]:
    found = [o["officer"] for o in snapshot["officers"]] + [q["assessor"] for q in snapshot["qualifications"]]
    return {str(o["officer_id"]): o for o in found if o is not None}


def _pics_records(snapshot: Record) -> Iterator[tuple[Key, Record]]:
    yield ("learner", str(snapshot["learner"]["learner_ident"])), snapshot["learner"]
    for q in snapshot["qualifications"]:
        yield ("enrolment", str(q["qualification_id"])), q
    if snapshot["placement"] is not None:
        yield ("employer", str(snapshot["placement"]["organisation_id"])), snapshot["placement"]
    for officer_id, officer in _officers(snapshot).items():
        yield ("assessor", officer_id), officer


def _newest_per_field(records: Sequence[DriftRecord]) -> list[DriftRecord]:
    """One record per (entity, PICS record, SA resource, field): the newest (``records`` come newest first)."""
    seen: dict[tuple[str, str | None, str | None, str], DriftRecord] = {}
    for r in records:
        seen.setdefault((r.entity, r.pics_id, r.sa_resource, r.field), r)
    return list(seen.values())


def _shown(record: DriftRecord, snapshot: Record, wanted: Mapping[Key, Mapping[str, Any]], held: _SaRecords) -> Shown:
    key = (record.entity, record.pics_id or "")
    sa_record, sa_note = held.get(record.sa_resource)
    if record.direction == "push":
        fields = wanted.get(key, {})
        note = None if record.field in fields else "not pushed under the current settings"
        return Shown(record, fields.get(record.field), (sa_record or {}).get(record.field), note, sa_note)
    column = _COLUMN[record.entity].get(record.field, record.field)
    if record.sa_resource is None:  # a learner's or a course's pulled item names no SA record: its linked one
        sa_record, sa_note = held.get(held.linked(record.entity, record.pics_id))
    pics_record = dict(_pics_records(snapshot)).get(key, {})
    sa_value, read_note = _pulled(record.entity, sa_record, column)
    return Shown(record, pics_record.get(column), sa_value, None, sa_note or read_note)


def _pulled(entity: str, sa_record: Record | None, field: str) -> tuple[Any, str | None]:
    """The SA record's value under PICS's name ``field``, as the pull reads it."""
    if sa_record is None:
        return None, None
    try:
        return _PULLED[entity](sa_record).get(field), None
    except items.BadItem as bad:
        return None, f"unreadable: {bad}"


class _SaRecords:
    """SA's records named by the drift record's resources (``<kind>:<SA id>``), each read once."""

    def __init__(self, service: Service, learner_sa_id: str | None) -> None:
        self._sa, self._learner, self._links = service.sa, learner_sa_id, service.ports.lookups
        self._read: dict[str, tuple[Record | None, str | None]] = {}
        self._readers: Mapping[str, Callable[[str], Record]] = {
            "learner": self._sa.get_learner, "employer": self._sa.get_employer,
            "assessor": self._sa.get_assessor, "enrolment": self._enrolment,
        }  # fmt: skip

    def linked(self, entity: str, pics_id: str | None) -> str | None:
        """The SA resource of the learner's own record, or of a course by its link; None when there is none."""
        if entity == "learner":
            return None if self._learner is None else f"learner:{self._learner}"
        sa_id = None if pics_id is None else self._links.sa_id(entity, pics_id)
        return None if sa_id is None else f"{entity}:{sa_id}"

    def get(self, resource: str | None) -> tuple[Record | None, str | None]:
        """(the record, None), or (None, why there is none)."""
        if resource is None:
            return None, "no SA record"
        if resource not in self._read:
            self._read[resource] = self._fetch(resource)
        return self._read[resource]

    def _fetch(self, resource: str) -> tuple[Record | None, str | None]:
        kind, _, sa_id = resource.partition(":")
        read = self._readers.get(kind)
        if read is None:
            return None, f"cannot read SA resource {kind!r}"
        try:
            return read(sa_id), None
        except SaNotFound:
            return None, "not found in SA"

    def _enrolment(self, sa_id: str) -> Record:
        if self._learner is None:
            raise SaNotFound("the learner has no SA record")
        return self._sa.get_enrolment(self._learner, sa_id)
