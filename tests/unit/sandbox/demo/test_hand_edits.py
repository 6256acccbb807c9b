"""The hand-edits profile's edits of SA: one of each kind the settings make PICS win, each on a learner of its
own that the daily run compares, and the list of what was done is the difference the report must show."""

from __future__ import annotations

from datetime import date
from typing import Any

from sandbox.demo.drift_check import Drift
from sandbox.demo.hand_edits import edit_by_hand
from sandbox.demo.model import SaModel
from sandbox.demo.pics_rows import PicsRows
from sandbox.demo.sync_check import resolve
from tests.unit.sandbox.demo.builders import (
    NONE_ALL,
    PUSH_ALL,
    enrolled,
    fold,
    learner,
    officer,
    officers,
    organisation,
    qualification,
    sa_as_modelled,
    settings,
)

RUN = date(2026, 3, 10)
IDENTS = [f"L{n}" for n in range(1, 10)]


class FakeHands:
    """The sandbox's hand-edit controls, noting every edit."""

    def __init__(self, model: SaModel) -> None:
        self.edits: list[tuple[str, Any, dict[str, Any]]] = []
        self.deleted: list[int] = []
        numbers = iter(range(9001, 9999))
        self.held = [{"id": next(numbers), "learnerId": f"g-{i}", "misId": q} for i, m in sorted(model.learners.items())
                     for q in m.courses]  # fmt: skip

    def edit_record(self, kind: str, record_id: str | int, changes: dict[str, Any]) -> dict[str, Any]:
        self.edits.append((kind, record_id, changes))
        return {}

    def delete_enrolment(self, enrolment_id: int) -> None:
        self.deleted.append(enrolment_id)

    def enrolments(self) -> list[dict[str, Any]]:
        return self.held


def in_step(values: dict[str, str]) -> tuple[SaModel, PicsRows]:
    """Nine eligible learners in SA, in two employers, with two Main Officers and an IQA; PICS linking to SA."""
    events = [
        enrolled(learner(ident), [qualification(f"{ident}-Q0")], placement=organisation(f"ORG{n % 2}"),
                 officers=officers(main=officer(f"M{n % 2}"), iqa=officer("I1")))
        for n, ident in enumerate(IDENTS)
    ]  # fmt: skip
    model = fold(values, *events)
    _sa, rows = sa_as_modelled(model)
    for ident in IDENTS:
        rows.learners[ident] |= {"system_status": "Live", "programme_status": "In Learning", "end_date": None}
    return model, rows


def test_d1_one_edit_of_each_kind_the_settings_repair_each_on_its_own_learner() -> None:
    """D1, D2: every push on: email, employer, learner assessor, course status, course assessor, an enrolment
    deleted, and the employer's and assessor's phone; the list names each record and field."""
    model, rows = in_step(PUSH_ALL)
    hands = FakeHands(model)
    made = edit_by_hand(hands, settings(PUSH_ALL), model, rows, "", RUN)
    assert made == [
        Drift("learner", "L1", "email", "push", "pushed"),
        Drift("learner", "L2", "employerId", "push", "pushed"),
        Drift("learner", "L3", "assessorId", "push", "pushed"),
        Drift("enrolment", "L4-Q0", "status", "push", "pushed"),
        Drift("enrolment", "L5-Q0", "assessorId", "push", "pushed"),
        Drift("enrolment", "L6-Q0", "courseId", "push", "enrolled"),
        Drift("employer", "ORG0", "phoneNumber", "push", "pushed"),  # L7's placement
        Drift("assessor", "M1", "phoneNumber", "push", "pushed"),  # L8's Main Officer
    ]
    assert len(hands.edits) == 7 and hands.deleted == [hands.held[5]["id"]]


def test_each_edit_leaves_sa_holding_something_pics_does_not() -> None:
    """An edit that wrote PICS's own value would be no difference: each link points elsewhere, each value is new."""
    model, rows = in_step(PUSH_ALL)
    hands = FakeHands(model)
    edit_by_hand(hands, settings(PUSH_ALL), model, rows, "", RUN)
    for kind, record_id, changes in hands.edits:
        if kind == "learners":
            ident = record_id.removeprefix("g-")
            held = resolve(model.learners[ident].fields, rows)
            assert all(held[name] != value for name, value in changes.items()), (ident, changes)
    assert ("enrolments", hands.held[3]["id"], {"status": "withdrawn"}) in hands.edits


def test_d1_under_none_only_what_pics_always_wins_is_edited() -> None:
    """D1: fields under None are neither compared nor changed, so none is edited; a course's status (A1) and a
    missing enrolment (D2) are PICS's whatever the modes."""
    model, rows = in_step(NONE_ALL)
    made = edit_by_hand(FakeHands(model), settings(NONE_ALL), model, rows, "", RUN)
    assert [(d.entity, d.field, d.action) for d in made] == [("enrolment", "status", "pushed"),
                                                            ("enrolment", "courseId", "enrolled")]  # fmt: skip


def test_y1_a_learner_the_daily_run_does_not_compare_is_not_edited() -> None:
    """Y1: a learner that ended long ago is not compared by the daily run, so its edit would never be repaired."""
    model, rows = in_step(PUSH_ALL)
    rows.learners["L1"] |= {"programme_status": "Completed", "end_date": date(2025, 1, 31)}
    made = edit_by_hand(FakeHands(model), settings(PUSH_ALL), model, rows, "", RUN)
    assert "L1" not in {d.pics_id for d in made} and made[0] == Drift("learner", "L2", "email", "push", "pushed")
