"""The daily run's reconcile requests as the oracle sees them (DOMAIN.md D1, D2), and what they should change.

The daily run asks for each eligible learner (Y1) and for the linked employer and assessors of those
learners, each once; each is carried out on the record PICS holds when it is processed. Folded into the
oracle's model (``model``: R1 for a learner, G1 / O1 for its employer and assessors, with PICS's records
as they stand), whatever the fold changes in a record SA already held is a difference the run's drift
report must show: a field pushed, a course enrolled. A record the fold creates is a first upload (U2,
U3), not a difference. In a demo whose model is in step with PICS the fold changes nothing.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from sandbox.demo import oracle_tables as t
from sandbox.demo.drift_check import Drift
from sandbox.demo.journal import Sent
from sandbox.demo.model import SaModel, officer_in
from sandbox.demo.pics_rows import PicsRows
from sandbox.pics.world import World


def requests(world: World, before: PicsRows, run_date: date, settings: t.Settings) -> list[Sent]:
    """The daily run's requests as the oracle sees them: each eligible learner (Y1), then its linked employer
    and assessors once each, with PICS's records as they stand."""
    idents = [i for i, row in sorted(before.learners.items()) if t.eligible(row, run_date)]
    sent = [_sent("ReconcileRequested", "pics.learner", i, copy.deepcopy(world.full_state(i))) for i in idents]
    organisations = sorted({world.placement[i] for i in idents})
    officers = sorted({o["officer"]["officer_id"] for i in idents for o in _linked_officers(world, i, settings)})
    sent += [_sent("OrganisationReconcileRequested", "pics.organisation", o,
                   {"organisation": copy.deepcopy(world.organisations[o])}) for o in organisations]  # fmt: skip
    sent += [_sent("OfficerReconcileRequested", "pics.officer", o, {"officer": copy.deepcopy(world.officers[o])})
             for o in officers]  # fmt: skip
    return sent


def _linked_officers(world: World, ident: str, settings: t.Settings) -> list[Mapping[str, Any]]:
    """The learner's Main Officer and second assessor (U3, U4), and its qualifications' own assessors."""
    officers = world.officers_of(ident)
    found = [officer_in(officers, role) for role in (t.MAIN_OFFICER, settings.second_role)]
    found += [q["assessor"] for q in world.qualifications[ident]]
    return [{"officer": o} for o in found if o is not None]


def _sent(name: str, topic: str, key: str, payload: Mapping[str, Any]) -> Sent:
    return Sent(f"demo-{name}-{key}", name, topic, key, payload, integration_on=True)


def folded(model: SaModel, world: World, before: PicsRows, run_date: date) -> set[Drift]:
    """Fold the run's requests into the model; what that changes of the records SA already held is expected
    in the report: a field pushed, a course enrolled (D1, D2)."""
    was = copy.deepcopy(model)
    for sent in requests(world, before, run_date, model.settings):
        model.fold(sent)
    return changes(was, model)


def changes(was: SaModel, now: SaModel) -> set[Drift]:
    """The fields the model changed in records SA held, and the courses it added (D1, D2). A record the model
    created is a first upload (U2, U3, U5's employer and assessor), not a difference."""
    found: set[Drift] = set()
    for ident, learner in was.learners.items():
        found |= _fields("learner", ident, learner.fields, now.learners[ident].fields)
        for qid, course in now.learners[ident].courses.items():
            if qid in learner.courses:
                found |= _fields("enrolment", qid, learner.courses[qid], course)
            else:
                found.add(Drift("enrolment", qid, "courseId", "push", "enrolled"))
    for entity, held, held_now in (("employer", was.employers, now.employers),
                                   ("assessor", was.assessors, now.assessors)):  # fmt: skip
        for pics_id, record in held.items():
            found |= _fields(entity, pics_id, record, held_now[pics_id])
    return found


def _fields(entity: str, pics_id: str, was: Mapping[str, Any], now: Mapping[str, Any]) -> set[Drift]:
    return {Drift(entity, pics_id, name, "push", "pushed") for name, value in now.items() if was.get(name) != value}


def learners_of(drifts: Iterable[Drift], model: SaModel) -> set[str]:
    """The learners the differences are about (a course's: the learner whose course it is; an employer's or
    assessor's: none)."""
    owner = {qid: ident for ident, learner in model.learners.items() for qid in learner.courses}
    owner |= {ident: ident for ident in model.learners}
    return {owner[d.pics_id] for d in drifts if d.entity in ("learner", "enrolment") and d.pics_id is not None}
