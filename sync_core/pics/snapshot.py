"""PICS's current record of one learner, read from the PICS tables: what a reconcile plans from (D5).

The snapshot has the payload shape of RefreshRequested and LearnerEnrolled (``schemas/``): the
learner, its placement organisation, its officers by role and its qualifications, each with the
fields of its Avro record and the types the serde decodes them to, so a rule cannot tell a snapshot
from an event's after-image. It is read in one repeatable-read transaction, so a PICS change that
commits meanwhile is either wholly in it or wholly out of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from typing import Any

from psycopg import Cursor
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

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
