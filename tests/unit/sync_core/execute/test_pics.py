"""Executing PICS plans: P5 v2 (an existing officer is found and linked before one is created; ASSO once), P2 v2
(a review is the learner's own), P12 (only real changes count), P13 (no empty value reaches the writer)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from sync_core.execute.pics import execute_pics
from sync_core.pics_plan import EnsureOfficerFromSa, SetPics, UpsertReview

GRACE = {"sa_assessor_id": "5001", "first_name": "Grace", "surname": "Hopper", "email": "Grace@Example.org"}


@dataclass
class FakePics:
    """PICS officers, ASSO users, reviews and row writes in memory, as ``PicsUpdates`` keeps them."""

    officers: dict[str, dict[str, Any]] = field(default_factory=dict)
    asso_users: dict[str, str] = field(default_factory=dict)
    reviews: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (learner, SA id) → review
    rows: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def set_row(self, table: str, key: str, fields: Mapping[str, Any]) -> tuple[str, ...]:
        self.rows.append((table, key, dict(fields)))
        return tuple(fields)  # as if PICS held none of these values

    def find_officer(self, sa_assessor_id: str, email: str | None) -> str | None:
        by_id = [o for o, row in self.officers.items() if row.get("additional_id") == sa_assessor_id]
        by_email = [
            o for o, row in self.officers.items() if email and (row.get("email") or "").lower() == email.lower()
        ]
        return (sorted(by_id) or sorted(by_email) or [None])[0]

    def link_officer(self, officer_id: str, sa_assessor_id: str) -> int:
        if self.officers[officer_id].get("additional_id"):
            return 0
        self.officers[officer_id]["additional_id"] = sa_assessor_id
        return 1

    def create_officer(self, officer_id: str, fields: Mapping[str, Any], asso_login: str | None) -> int:
        if officer_id in self.officers:
            return 0
        self.officers[officer_id] = dict(fields)
        if asso_login:
            self.asso_users[officer_id] = asso_login
        return 1 + bool(asso_login)

    def upsert_review(
        self, learner_ident: str, sa_system_id: str, on_create: Mapping[str, Any], every_sync: Mapping[str, Any]
    ) -> int:
        review = self.reviews.setdefault((learner_ident, sa_system_id), dict(on_create))
        review.update(every_sync)
        return 1


def ensure(pics: FakePics, *, asso: bool = False, **assessor: Any) -> int:
    """Run P5 for GRACE (with ``assessor`` changes); the rows it changed."""
    return execute_pics((EnsureOfficerFromSa({**GRACE, **assessor}, asso_user=asso),), pics).pics_rows_changed


@pytest.mark.parametrize(
    ("officers", "linked", "additional_id"),
    [
        pytest.param({"OFF1": {"email": "x@example.org", "additional_id": "5001"}}, "OFF1", "5001", id="P5-found-by-additional-id"),
        pytest.param({"OFF1": {"email": "grace@example.ORG", "additional_id": None}}, "OFF1", "5001", id="P5-v2-found-by-email-any-case-id-written"),
        pytest.param({"OFF1": {"email": "grace@example.org", "additional_id": "4999"}}, "OFF1", "4999", id="P5-v2-email-match-keeps-its-additional-id"),
        pytest.param(
            {"OFF1": {"email": "grace@example.org", "additional_id": None}, "OFF2": {"email": "g@x.org", "additional_id": "5001"}},
            "OFF2", "5001", id="P5-additional-id-before-email",
        ),
    ],
)  # fmt: skip
def test_p5_existing_officer_is_linked_not_duplicated(
    officers: dict[str, dict[str, Any]], linked: str, additional_id: str
) -> None:
    """P5 (v2): an officer with the SA id as Additional ID, else the same Email, is linked; no officer or ASSO user is made."""
    pics = FakePics(officers={o: dict(row) for o, row in officers.items()})
    upsert = UpsertReview("20001", "L1", {"review_type": "Progress Review"}, {"reviewer_sa_id": "5001"})
    execute_pics((EnsureOfficerFromSa(GRACE, asso_user=True), upsert), pics)  # as plan_review plans it
    assert set(pics.officers) == set(officers) and pics.asso_users == {}
    assert pics.officers[linked]["additional_id"] == additional_id
    assert pics.reviews[("L1", "20001")]["reviewer_id"] == linked


@pytest.mark.parametrize(
    ("s11", "asso_users"),
    [
        pytest.param(True, {"SA-5001": "Grace@Example.org"}, id="P5-S11-on-asso-user-once"),
        pytest.param(False, {}, id="P5-S11-off-no-asso-user"),
    ],
)
def test_p5_officer_created_only_when_pics_has_none(s11: bool, asso_users: dict[str, str]) -> None:
    """P5: no officer matches → one is created from U3's fields with Additional ID = SA id; again → nothing more."""
    pics = FakePics(officers={"OFF9": {"email": "someone@example.org", "additional_id": None}})
    assert ensure(pics, asso=s11) > 0
    assert ensure(pics, asso=s11) == 0
    assert pics.officers["SA-5001"] == {
        "first_name": "Grace", "surname": "Hopper", "email": "Grace@Example.org", "phone_number": None,
        "mobile_number": None, "additional_id": "5001",
    }  # fmt: skip
    assert pics.asso_users == asso_users


def test_p5_blank_email_matches_no_officer() -> None:
    """P5: an SA assessor with an empty Email is not matched to an officer whose Email is empty too."""
    pics = FakePics(officers={"OFF1": {"email": "", "additional_id": None}})
    ensure(pics, email="")
    assert set(pics.officers) == {"OFF1", "SA-5001"} and pics.officers["OFF1"]["additional_id"] is None


def test_p2_each_learner_of_a_group_session_gets_its_own_review() -> None:
    """P2 (v2): one SA session id for two learners is two reviews, each matched within its learner."""
    pics = FakePics()
    for learner in ("L1", "L2", "L1"):
        step = UpsertReview("20001", learner, {"review_type": "Progress Review"}, {"attended_status": "Attended"})
        execute_pics((step,), pics)
    assert sorted(pics.reviews) == [("L1", "20001"), ("L2", "20001")]


def test_p13_blank_fields_never_reach_the_writer() -> None:
    """P13 with P12: a SetPics of blanks only writes nothing and counts no change."""
    pics = FakePics()
    effects = execute_pics((SetPics("learner", "L1", {"postcode": "", "ni_number": None}),), pics)
    assert pics.rows == [("learner", "L1", {})] and effects.pics_rows_changed == 0


def test_d1_d3_a_pull_direction_write_reports_each_field_it_changed_as_pulled() -> None:
    """D1/D3: the fields a P9 write changed in PICS are differences pulled; what PICS held already is not."""
    pics = FakePics()
    pics.set_row = lambda _table, _key, fields: tuple(name for name in fields if name != "surname")  # type: ignore[method-assign]
    plan = (SetPics("learner", "L1", {"email": "new@example.org", "surname": "Same"}, drift="learner"),)
    effects = execute_pics(plan, pics)
    assert [(d.entity, d.pics_id, d.field, d.direction, d.action) for d in effects.differences] == [
        ("learner", "L1", "email", "pull", "pulled")
    ]
    assert effects.pics_rows_changed == 1


def test_d1_sa_own_data_is_no_difference() -> None:
    """D1: progress, hours and risk are SA's own data: a write of them is no difference (P1, P6, P8)."""
    effects = execute_pics((SetPics("learner", "L1", {"actual_otj_hours": 12.0}),), FakePics())
    assert effects.differences == () and effects.pics_rows_changed == 1
