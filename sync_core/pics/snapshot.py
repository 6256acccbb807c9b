"""PICS's current record of one learner, organisation or officer, read from the PICS tables: what a
reconcile plans from (D5).

A learner's snapshot has the payload shape of RefreshRequested and LearnerEnrolled (``schemas/``): the
learner, its placement organisation, its officers by role and its qualifications; an organisation's
that of OrganisationEdited (``{"organisation": ...}``), an officer's that of OfficerEdited
(``{"officer": ...}``). Each record has the fields of its Avro record and the types the serde decodes
them to, so a rule cannot tell a snapshot from an event's after-image. A learner's is read in one
repeatable-read transaction, so a PICS change that commits meanwhile is either wholly in it or wholly
out of it. ``PicsSnapshots`` reads the one a push topic's record needs (``Route.current_record``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import cache
from typing import Any

from psycopg import Cursor
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from sync_core.pipeline.routes import LEARNER, OFFICER, ORGANISATION
from sync_core.serde.catalog import current_schemas

Row = dict[str, Any]
# The PICS tables name a record's own id ``id``; the event records name it after the record.
_ID = {"pics.events.Organisation": "organisation_id", "pics.events.Officer": "officer_id",
       "pics.events.LearnerQualification": "qualification_id"}  # fmt: skip


@cache
def _fields(record: str) -> tuple[str, ...]:
    return tuple(field["name"] for field in current_schemas()[record]["fields"])


def _avro(row: Mapping[str, Any], record: str, **nested: Any) -> Row:
    """The row as event record ``record``: its fields, the id renamed, numerics as the doubles Avro has."""
    columns = {**row, _ID[record]: row["id"]} if record in _ID else dict(row)
    columns.update(nested)
    return {name: _avro_value(columns[name]) for name in _fields(record)}


def _avro_value(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value  # PICS's numeric hours are Avro doubles


def learner_snapshot(pool: ConnectionPool, learner_ident: str) -> Row | None:
    """The learner with everything linked to it as PICS holds it now; None when PICS has no such learner."""
    with pool.connection() as conn, conn.transaction():
        cur = conn.cursor(row_factory=dict_row)
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        learner = cur.execute("SELECT * FROM pics.learner WHERE learner_ident = %s", (learner_ident,)).fetchone()
        if learner is None:
            return None
        return _payload(cur, learner)


def organisation_snapshot(pool: ConnectionPool, organisation_id: str) -> Row | None:
    """The organisation as PICS holds it now, as OrganisationEdited's payload; None when PICS has no such one."""
    row = _row(pool, "SELECT * FROM pics.organisation WHERE id = %s", organisation_id)
    return None if row is None else {"organisation": _avro(row, "pics.events.Organisation")}


def officer_snapshot(pool: ConnectionPool, officer_id: str) -> Row | None:
    """The officer as PICS holds it now, as OfficerEdited's payload; None when PICS has no such one."""
    row = _row(pool, "SELECT * FROM pics.officer WHERE id = %s", officer_id)
    return None if row is None else {"officer": _avro(row, "pics.events.Officer")}


_READERS: Mapping[str, Callable[[ConnectionPool, str], Row | None]] = {
    LEARNER: learner_snapshot, ORGANISATION: organisation_snapshot, OFFICER: officer_snapshot,
}  # fmt: skip


class PicsSnapshots:
    """``PipelinePorts.snapshot``: PICS's current record of the record a push topic is keyed by."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def __call__(self, topic: str, record_id: str) -> Row | None:
        """The record ``record_id`` of topic ``topic`` (a learner, organisation or officer) as PICS holds it
        now, in the payload shape the topic's edit rules plan from; None when PICS has no such record."""
        return _READERS[topic](self._pool, record_id)


def _row(pool: ConnectionPool, query: str, record_id: str) -> Row | None:
    with pool.connection() as conn:
        return conn.cursor(row_factory=dict_row).execute(query, (record_id,)).fetchone()


def _payload(cur: Cursor[Row], learner: Row) -> Row:
    ident = learner["learner_ident"]
    placement = cur.execute(
        "SELECT * FROM pics.organisation WHERE id = %s", (learner["placement_organisation_id"],)
    ).fetchone()
    roles = cur.execute(
        "SELECT role, officer_id FROM pics.learner_officer WHERE learner_ident = %s ORDER BY role", (ident,)
    ).fetchall()
    qualifications = cur.execute(
        "SELECT * FROM pics.learner_qualification WHERE learner_ident = %s ORDER BY id", (ident,)
    ).fetchall()
    wanted = [r["officer_id"] for r in roles] + [q["assessor_id"] for q in qualifications if q["assessor_id"]]
    found = cur.execute("SELECT * FROM pics.officer WHERE id = ANY(%s)", (wanted,)).fetchall()
    officers = {row["id"]: _avro(row, "pics.events.Officer") for row in found}
    return {
        "learner": _avro(learner, "pics.events.Learner"),
        "placement": None if placement is None else _avro(placement, "pics.events.Organisation"),
        "officers": [{"role": r["role"], "officer": officers[r["officer_id"]]} for r in roles],
        "qualifications": [
            _avro(q, "pics.events.LearnerQualification", assessor=officers.get(q["assessor_id"]))
            for q in qualifications
        ],
    }
