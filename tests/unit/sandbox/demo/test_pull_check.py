"""The pull check catches what a wrong map, a missed blank or an over-eager pull would leave in PICS.

PICS before the pull, PICS after it, and SA are built by hand; a right pull has no mismatch, and each
planted mistake is named by record id and field.
"""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any, cast

from sandbox.demo.drift_check import Drift
from sandbox.demo.pics_rows import PicsRows
from sandbox.demo.pull_check import Pull, PullCheck, check_learners
from sandbox.demo.pull_records import check_records
from tests.unit.sandbox.demo.builders import PULL_ALL, PUSH_ALL, FakeSa, learner, pics_rows, settings

RUN = date(2026, 3, 10)
S5 = {"Update PICS Risk using Smart Coach Score": "on"}
START = "2026-02-02T09:30:00Z"


def row(ident: str, **changes: Any) -> dict[str, Any]:
    """A PICS learner row in SA, with its placement and no pulled values yet."""
    return (
        learner(
            ident, smart_assessor_id=f"g-{ident}", placement_organisation_id=None, actual_otj_hours=None, risk="Yellow"
        )
        | changes
    )


def world() -> tuple[FakeSa, PicsRows, PicsRows]:
    """Two eligible learners sharing a group session, one learner ended long ago; PICS after a right pull."""
    sa = FakeSa()
    for ident in ("L1", "L2", "L3"):
        sa.learners[f"g-{ident}"] = {"id": f"g-{ident}", "misId": ident, "firstName": "Ann", "gender": None}
        sa.otj[f"g-{ident}"] = 12.5
    group = {
        "id": 20001,
        "type": "Formal Review",
        "start": START,
        "status": "attended",
        "assessorId": 5001,
        "actualStart": START,
    }
    sa.sessions = {
        "g-L1": [group, {"id": 20002, "type": "Telephone", "start": START, "status": "planned"}],
        "g-L2": [group],
    }
    sa.coach = {"g-L1": {"score": 0.9, "band": "High"}, "g-L2": None}  # L2: not in Smart Coach (404)
    sa.assessors[5001] = {"id": 5001, "firstName": "Oli", "surname": "Ode", "email": "m1@provider.example"}
    officer = {"id": "M1", "first_name": "Oli", "surname": "Ode", "email": "m1@provider.example",
               "phone_number": None, "mobile_number": None, "additional_id": "5001"}  # fmt: skip
    ended = row("L3", programme_status="Completed", end_date=date(2025, 6, 30))
    before = pics_rows(learners={"L1": row("L1"), "L2": row("L2"), "L3": ended}, officers={"M1": officer},
                       roles={"L1": {"Main Officer": "M1"}})  # fmt: skip
    after = copy.deepcopy(before)
    after.learners["L1"].update(actual_otj_hours=12.5, risk="Red")
    after.learners["L2"].update(actual_otj_hours=12.5)
    moment = datetime(2026, 2, 2, 9, 30, tzinfo=UTC)
    for ident in ("L1", "L2"):
        after.reviews[ident, "20001"] = [{"review_type": "Progress Review", "proposed_at": moment, "actual_at": moment,
                                          "attended_status": "Attended", "reviewer_id": "M1"}]  # fmt: skip
    return sa, before, after


def checked(sa: FakeSa, before: PicsRows, after: PicsRows, values: dict[str, str] = PUSH_ALL | S5) -> PullCheck:
    check = PullCheck()
    pull = Pull(cast(Any, sa), settings(values), before, after, RUN)
    check_learners(check, pull)
    check_records(check, pull)
    return check


def test_a_right_pull_has_no_mismatch() -> None:
    """P2–P8: hours, risk (404 leaves it), one review each of a group session; an ineligible learner untouched."""
    check = checked(*world())
    assert (check.mismatches, check.eligible) == (0, 2), check.examples
    assert check.checked > 50


def test_p8_a_wrong_risk_map_is_caught() -> None:
    """P8: High is Red; a product mapping it to Green is a mismatch."""
    sa, before, after = world()
    after.learners["L1"]["risk"] = "Green"
    assert checked(sa, before, after).examples == ["learner L1: risk (P8)"]


def test_p8_v2_no_smart_coach_score_leaves_risk() -> None:
    """P8 (v2): for a learner not in Smart Coach, a product that cleared Risk is caught."""
    sa, before, after = world()
    after.learners["L2"]["risk"] = None
    assert checked(sa, before, after).examples == ["learner L2: risk (P8)"]


def test_p2_v2_a_group_session_gives_each_learner_its_own_review() -> None:
    """P2 (v2): one SA session id in two learners' lists is two PICS reviews; one missing is caught."""
    sa, before, after = world()
    del after.reviews["L2", "20001"]
    assert checked(sa, before, after).examples == ["review of L2 for session 20001: 0 reviews, one expected (P2)"]


def test_p4_a_wrong_attended_status_and_an_unmapped_session_imported_are_caught() -> None:
    """P4 / S17: attended is Attended; a session of an unmapped type is not imported."""
    sa, before, after = world()
    after.reviews["L1", "20001"][0]["attended_status"] = "Unknown"
    after.reviews["L1", "20002"] = [{"review_type": "Telephone"}]
    assert checked(sa, before, after).examples == [
        "review of L1 for session 20001: attended_status (P4)", "review of L1 for session 20002: no mapped SA session (P2)"]  # fmt: skip


def test_y2_a_learner_the_pull_does_not_cover_keeps_its_values() -> None:
    """Y1 / Y2: a learner ended long ago is not pulled; its hours written anyway are caught."""
    sa, before, after = world()
    after.learners["L3"]["actual_otj_hours"] = 12.5
    assert checked(sa, before, after).examples == ["learner L3 (not eligible): actual_otj_hours"]


def test_l2_p9_p13_uln_disability_and_blanks() -> None:
    """P9 with S6 = Update PICS…: SA's First Name comes back, its blank gender never overwrites PICS (P13),
    and ULN and disability never move (L2)."""
    sa, before, after = world()
    sa.learners["g-L1"]["firstName"] = "Bea"
    after.learners["L1"].update(first_name="Bea", gender=None, uln="0000000000")
    values = PULL_ALL | S5
    assert checked(sa, before, after, values).examples == ["learner L1: uln (never pulled)", "learner L1: gender (P9)"]


def test_p5_two_officers_for_one_sa_assessor_are_caught() -> None:
    """P5 (v2): the session's assessor has one PICS officer; a second one created by Email is caught."""
    sa, before, after = world()
    after.officers["SA-5001"] = {**after.officers["M1"], "id": "SA-5001"}
    examples = checked(sa, before, after).examples
    assert "SA assessor 5001: 2 PICS officers linked, one expected (P5)" in examples
    assert "officer SA-5001 (created by the pull): email (a PICS officer has it: link, not create, P5 v2)" in examples


def test_d1_each_field_the_pull_changes_is_a_difference_the_report_must_show_pulled() -> None:
    """D1, D3 (Pull direction): SA's First Name pulled is expected in the drift report by SA's field name; SA's
    blanks are not (P13), nor is anything under Push."""
    sa, before, after = world()
    sa.learners["g-L1"]["firstName"] = "Bea"
    after.learners["L1"].update(first_name="Bea")
    pulled = checked(sa, before, after, PULL_ALL | S5).pulled
    assert pulled == [Drift("learner", "L1", "firstName", "pull", "pulled")]
    assert checked(sa, before, after).pulled == []
