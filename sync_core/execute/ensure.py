"""Link or create, never twice: U2, U3, U5, U8 and U10 for employers, assessors, learners, courses.

For each PICS record the SA id is, in order: one PICS already holds (Additional ID, Smart
Assessor ID), our link, what SA finds by MIS id and then by natural key, and only then a new SA
record. The executor runs the search and the create under a guard (a database lock with an intent
row), so two workers, or a replay after a crash between SA's create and our link write, find the
record instead of creating a second one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from sync_core.execute.protocols import SaApi
from sync_core.fields import ASSESSOR_FIELDS, EMPLOYER_FIELDS, to_sa

Finder = Callable[[], Sequence[Mapping[str, Any]]]
Call = Callable[..., Any]  # (fn, *args, **kwargs) → fn's result, counted as one SA call


def anything(_record: Mapping[str, Any]) -> bool:
    """D7 for an id that only SA's "not found" unsettles: whatever record SA holds under it is the one."""
    return True


@dataclass(frozen=True)
class Natural:
    """How one PICS record is matched to SA, and created there when nothing matches."""

    entity: str
    pics_id: str
    held_by_pics: str | None  # the SA id PICS already holds for it, if any
    finders: tuple[Finder, ...]  # searches by MIS id, then by natural key
    create: Callable[[], Mapping[str, Any]]
    # What the create would send: a dry run against SA's records holds its stand-in to it, so the plan's
    # later steps compare with what SA would hold once the real run has made it (D4).
    fields: Callable[[], Mapping[str, Any]] = dict
    # D7: whether an SA record found under the linked id is still this PICS record's: by MIS id, or (an
    # employer or assessor several PICS records share, U2/U3 v2) by natural key. After SA is restored from
    # an older backup, an id we linked may name another record SA has made since.
    ours: Callable[[Mapping[str, Any]], bool] = anything


def _by_mis_id(pics_id: str) -> Callable[[Mapping[str, Any]], bool]:
    return lambda record: str(record.get("misId")) == pics_id


def _folded(value: Any) -> str:
    return str(value or "").strip().casefold()


def not_anothers(spec: Natural, record: Mapping[str, Any]) -> bool:
    """D7 for an id PICS holds (an Additional ID): the SA record is this PICS record's, or one a person may
    have chosen for it (no MIS id, or this one's), not one made for another PICS record since."""
    return spec.ours(record) or str(record.get("misId") or "") in ("", spec.pics_id)


def find_existing(spec: Natural) -> str | None:
    """The SA id of the first record a finder returns, if any."""
    for finder in spec.finders:
        found = finder()
        if found:
            return str(found[0]["id"])
    return None


def employer(sa: SaApi, call: Call, org: Mapping[str, Any]) -> Natural:
    """U2: by Additional ID, MIS id, then EDRS Number + Postcode; else created from U2's fields."""
    pics_id = str(org["organisation_id"])
    finders: list[Finder] = [partial(call, sa.find_employers, mis_id=pics_id)]
    if org.get("edrs_number") and org.get("postcode"):
        finders.append(partial(call, sa.find_employers, edrs_number=org["edrs_number"], postcode=org["postcode"]))
    fields = {"misId": pics_id, **to_sa(org, EMPLOYER_FIELDS)}
    create = partial(sa.create_employer, fields)
    key = (_folded(org.get("edrs_number")), _folded(org.get("postcode")))

    def ours(record: Mapping[str, Any]) -> bool:
        return _by_mis_id(pics_id)(record) or (all(key) and key == (
            _folded(record.get("edrsNumber")), _folded(record.get("postcode"))))  # fmt: skip

    return Natural("employer", pics_id, org.get("additional_id"), tuple(finders), create, lambda: fields, ours)


def assessor(sa: SaApi, call: Call, officer: Mapping[str, Any]) -> Natural:
    """U3: by Additional ID, MIS id, then Email; else created from U3's fields."""
    pics_id = str(officer["officer_id"])
    finders: list[Finder] = [partial(call, sa.find_assessors, mis_id=pics_id)]
    if officer.get("email"):
        finders.append(partial(call, sa.find_assessors, email=officer["email"]))
    fields = {"misId": pics_id, **to_sa(officer, ASSESSOR_FIELDS)}
    create = partial(sa.create_assessor, fields)
    email = _folded(officer.get("email"))

    def ours(record: Mapping[str, Any]) -> bool:
        return _by_mis_id(pics_id)(record) or (bool(email) and email == _folded(record.get("email")))

    return Natural("assessor", pics_id, officer.get("additional_id"), tuple(finders), create, lambda: fields, ours)


def learner(sa: SaApi, call: Call, ident: str, held: str | None, fields: Callable[[], Mapping[str, Any]]) -> Natural:
    """U10: by Smart Assessor ID, then MIS id (Learner Ident); else uploaded (U1)."""
    return Natural(
        "learner",
        ident,
        held,
        (partial(call, sa.find_learners, mis_id=ident),),
        lambda: sa.create_learner(fields()),
        fields,
        _by_mis_id(ident),
    )


def enrolment(
    sa: SaApi, call: Call, learner_id: str, qualification_id: str, fields: Callable[[], Mapping[str, Any]]
) -> Natural:
    """U5: the learner's enrolment whose MIS id is the learner qualification's id; else enrolled."""

    def mine() -> list[Mapping[str, Any]]:
        return [e for e in call(sa.list_enrolments, learner_id) if e.get("misId") == qualification_id]

    return Natural(
        "enrolment",
        qualification_id,
        None,
        (mine,),
        lambda: sa.enrol(learner_id, fields()),
        fields,
        _by_mis_id(qualification_id),
    )
