"""Pulled items planned as PICS writes: P1–P11 and P13 under each setting that governs them (P12 is the writer's; see integration)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from sync_core.pics_plan import EnsureOfficerFromSa, SetPics, UpsertReview
from sync_core.plan import Skip
from sync_core.rules.pulled import (
    plan_demographics,
    plan_officer,
    plan_organisation,
    plan_otj,
    plan_progress,
    plan_qualification_dates,
    plan_risk,
)
from sync_core.rules.reviews import plan_review
from sync_core.settings import IntegrationSettings, Mode
from tests.unit.fakes import FakeState

ON = IntegrationSettings(integration_enabled=True)
TODAY = date(2026, 11, 23)
START = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("total", "written"),
    [
        pytest.param(20, {"elements_done": 7, "total_elements": 20}, id="P1-v2-total-from-sa-whenever-sa-has-one"),
        pytest.param(None, {"elements_done": 7}, id="P1-no-total-in-sa-leaves-pics-total"),
    ],
)
def test_p1_progress_sets_elements_done_and_total(total: int | None, written: dict[str, int]) -> None:
    """P1 (v2): Elements Done from SA, and Total Elements from SA whenever SA has a total (so Done never exceeds it)."""
    plan = plan_progress(
        {"qualification_id": "Q1", "elements_done": 7, "elements_total": total}, ON, FakeState(), TODAY
    )
    assert plan == (SetPics("learner_qualification", "Q1", written),)


def test_p6_otj_hours_every_sync() -> None:
    """P6: PICS Actual OTJ Hours = SA's total."""
    plan = plan_otj({"learner_ident": "L1", "actual_hours": 123.5}, ON, FakeState(), TODAY)
    assert plan == (SetPics("learner", "L1", {"actual_otj_hours": 123.5}),)


@pytest.mark.parametrize(
    ("mode", "pulled"),
    [
        pytest.param(Mode.PULL, True, id="P7-S16-pull-sets-dates"),
        pytest.param(Mode.PUSH, False, id="P7-S16-push-leaves-pics"),
    ],
)
def test_p7_qualification_dates_follow_s16(mode: Mode, pulled: bool) -> None:
    """P7: SA's course dates reach PICS only with S16 = Update PICS…."""
    payload = {"qualification_id": "Q1", "start_date": date(2026, 9, 1), "planned_end_date": date(2027, 9, 1)}
    plan = plan_qualification_dates(payload, replace(ON, qualification_dates_mode=mode), FakeState(), TODAY)
    assert isinstance(plan[0], SetPics) is pulled


BLANKS = [pytest.param(None, id="none"), pytest.param("", id="empty"), pytest.param("   ", id="spaces")]


@pytest.mark.parametrize("blank", BLANKS)
@pytest.mark.parametrize(
    ("rule", "settings", "payload", "blanked", "kept"),
    [
        pytest.param(
            plan_qualification_dates, {"qualification_dates_mode": Mode.PULL},
            {"qualification_id": "Q1", "start_date": date(2026, 9, 1)}, "planned_end_date", "start_date", id="P13-P7-dates",
        ),
        pytest.param(
            plan_demographics, {"learner_mode": Mode.PULL, "sync_gender": True},
            {"learner_ident": "L1", "first_name": "Ada"}, "ni_number", "first_name", id="P13-P9-demographics-ni",
        ),
        pytest.param(
            plan_demographics, {"learner_mode": Mode.PULL},
            {"learner_ident": "L1", "first_name": "Ada"}, "date_of_birth", "first_name", id="P13-P9-demographics-dob",
        ),
        pytest.param(
            plan_demographics, {"learner_mode": Mode.PULL, "sync_gender": True},
            {"learner_ident": "L1", "postcode": "LS1 1AA"}, "gender", "postcode", id="P13-P9-gender",
        ),
        pytest.param(
            plan_officer, {"officer_mode": Mode.PULL},
            {"officer_id": "OFF1", "first_name": "Grace"}, "mobile_number", "first_name", id="P13-P10-officer",
        ),
        pytest.param(
            plan_organisation, {"organisation_mode": Mode.PULL},
            {"organisation_id": "ORG1", "name": "Acme"}, "postcode", "name", id="P13-P11-organisation",
        ),
    ],
)  # fmt: skip
def test_p13_an_empty_sa_value_never_overwrites_pics(
    rule: Any, settings: dict[str, Any], payload: dict[str, Any], blanked: str, kept: str, blank: str | None
) -> None:
    """P13: a None, "" or blank SA value is left out of the write (PICS keeps its value); the values SA holds are written."""
    [step] = rule({**payload, blanked: blank}, replace(ON, **settings), FakeState(), TODAY)
    assert isinstance(step, SetPics)
    assert blanked not in step.fields and step.fields[kept] == payload[kept]


def test_p13_set_pics_drops_empty_values_wherever_planned() -> None:
    """P13: SetPics itself holds no empty value, so no pull rule can write one; zero and False are values."""
    step = SetPics("learner", "L1", {"a": None, "b": "", "c": " \t", "d": 0, "e": False, "f": "x"})
    assert step.fields == {"d": 0, "e": False, "f": "x"}


@pytest.mark.parametrize(
    ("s5", "band", "risk"),
    [
        pytest.param(True, "High", "Red", id="P8-high-red"),
        pytest.param(True, "Medium", "Yellow", id="P8-medium-yellow"),
        pytest.param(True, "Low", "Green", id="P8-low-green"),
        pytest.param(False, "High", None, id="P8-S5-off-no-risk"),
    ],
)
def test_p8_smart_coach_band_to_risk(s5: bool, band: str, risk: str | None) -> None:
    """P8: with S5 on the band becomes PICS Risk Red / Yellow / Green; off, nothing."""
    plan = plan_risk(
        {"learner_ident": "L1", "score": 0.5, "band": band}, replace(ON, risk_from_smart_coach=s5), FakeState(), TODAY
    )
    assert (plan[0].fields.get("risk") if isinstance(plan[0], SetPics) else None) == risk


def demographics() -> dict[str, Any]:
    return {"learner_ident": "L1", "first_name": "Ada", "surname": "King", "date_of_birth": date(2001, 2, 3), "email": "a@example.org",
            "address_1": "1 High St", "address_2": None, "address_3": None, "address_4": None, "postcode": "LS1 1AA",
            "ni_number": "AB123456C", "phone_number": "0113", "mobile_number": "077", "gender": "F", "ethnicity": "31"}  # fmt: skip


@pytest.mark.parametrize(
    ("settings", "present", "absent"),
    [
        pytest.param(
            replace(ON, learner_mode=Mode.PULL),
            {"first_name", "email", "ni_number"},
            {"uln", "disability", "gender", "ethnicity"},
            id="P9-pull-details-never-uln-or-disability",
        ),
        pytest.param(
            replace(ON, learner_mode=Mode.PULL, sync_gender=True), {"gender"}, {"ethnicity"}, id="P9-S7-gender-pulled"
        ),
        pytest.param(
            replace(ON, learner_mode=Mode.PULL, sync_ethnicity=True, send_disability=True),
            {"ethnicity"},
            {"gender", "disability"},
            id="P9-S8-ethnicity-pulled-disability-never",
        ),
    ],
)
def test_p9_demographics_follow_s6_s7_s8(settings: IntegrationSettings, present: set[str], absent: set[str]) -> None:
    """P9: with S6 = Update PICS… L1's fields but ULN come from SA; gender with S7, ethnicity with S8; never disability."""
    [step] = plan_demographics(demographics(), settings, FakeState(), TODAY)
    assert isinstance(step, SetPics)
    assert present <= step.fields.keys() and not absent & step.fields.keys()


@pytest.mark.parametrize(
    "mode", [pytest.param(Mode.NONE, id="P9-none-nothing"), pytest.param(Mode.PUSH, id="P9-push-nothing")]
)
def test_p9_other_modes_pull_nothing(mode: Mode) -> None:
    """P9: S6 = None or Push: nothing of the learner's details is written to PICS."""
    assert plan_demographics(demographics(), replace(ON, learner_mode=mode), FakeState(), TODAY) == (
        Skip("learner details are not pulled (S6)", rule="P9"),
    )


@pytest.mark.parametrize(
    ("rule", "payload", "setting", "table"),
    [
        pytest.param(
            plan_officer,
            {"officer_id": "OFF1", "first_name": "Grace", "email": "g@example.org"},
            "officer_mode",
            "officer",
            id="P10-officer",
        ),
        pytest.param(
            plan_organisation,
            {"organisation_id": "ORG1", "name": "Acme", "postcode": "LS1"},
            "organisation_mode",
            "organisation",
            id="P11-organisation",
        ),
    ],
)
def test_p10_p11_linked_records_follow_their_mode(rule: Any, payload: dict[str, Any], setting: str, table: str) -> None:
    """P10/P11: U3's / U2's fields come from SA only when S10 / S12 pulls."""
    pulled = rule(payload, replace(ON, **{setting: Mode.PULL}), FakeState(), TODAY)
    assert isinstance(pulled[0], SetPics) and pulled[0].table == table
    assert isinstance(rule(payload, replace(ON, **{setting: Mode.PUSH}), FakeState(), TODAY)[0], Skip)


def session(status: str = "attended", **changes: Any) -> dict[str, Any]:
    base = {"learner_ident": "L1", "sa_session_id": "20001", "session_type": "Formal Review", "start": START,
            "actual": START, "duration_minutes": 60, "status": status,
            "assessor": {"sa_assessor_id": "5001", "first_name": "Grace", "surname": "Hopper", "email": "g@example.org"}}  # fmt: skip
    return {**base, **changes}


MAPPED = replace(ON, review_types={"Formal Review": "Progress Review"})


def test_p2_unmapped_session_type_is_not_imported() -> None:
    """P2: a session whose type S17 does not map is skipped, naming P2."""
    plan = plan_review(session(session_type="Telephone"), MAPPED, FakeState(), TODAY)
    assert plan == (Skip("session type 'Telephone' is not mapped to a review type", rule="P2"),)


def test_p3_p4_create_and_every_sync_fields_kept_apart() -> None:
    """P3: created with the mapped type and Attended Status Unknown; P4: type, dates, reviewer and status every sync."""
    *_, upsert = plan_review(session(), MAPPED, FakeState(), TODAY)
    assert isinstance(upsert, UpsertReview) and upsert.sa_system_id == "20001"
    assert upsert.on_create == {"learner_ident": "L1", "review_type": "Progress Review", "attended_status": "Unknown"}
    assert upsert.every_sync == {"review_type": "Progress Review", "proposed_at": START, "actual_at": START,
                                 "attended_status": "Attended", "reviewer_sa_id": "5001"}  # fmt: skip


@pytest.mark.parametrize(
    ("status", "attended"),
    [
        pytest.param("cancelled_learner", "Cancelled - Learner", id="P4-cancelled-by-learner"),
        pytest.param("cancelled_assessor", "Cancelled - Assessor", id="P4-cancelled-by-assessor"),
        pytest.param("cancelled_employer", "Cancelled - Employer", id="P4-cancelled-by-employer"),
        pytest.param("planned", None, id="P4-planned-stays-as-it-is"),
    ],
)
def test_p4_attended_status_from_sa(status: str, attended: str | None) -> None:
    """P4: SA's session status sets Attended Status; planned leaves it; no actual time unless attended."""
    *_, upsert = plan_review(session(status), MAPPED, FakeState(), TODAY)
    assert isinstance(upsert, UpsertReview)
    assert upsert.every_sync.get("attended_status") == attended and "actual_at" not in upsert.every_sync


@pytest.mark.parametrize(
    "s11", [pytest.param(True, id="P5-S11-on-asso-user"), pytest.param(False, id="P5-S11-off-no-asso-user")]
)
def test_p5_reviewer_officer_ensured_with_asso_per_s11(s11: bool) -> None:
    """P5: the session's assessor is ensured as a PICS officer, with an ASSO user only with S11 on."""
    first, *_ = plan_review(session(), replace(MAPPED, create_asso_users=s11), FakeState(), TODAY)
    assert isinstance(first, EnsureOfficerFromSa) and first.asso_user is s11
