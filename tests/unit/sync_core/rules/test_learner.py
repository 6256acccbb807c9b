"""Rules L1–L5, Y2 and X2 (v2): which learner fields a LearnerEdited pushes under each setting."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from sync_core.fields import DEMOGRAPHICS
from sync_core.plan import EnsureLearner, Park, Ref, Skip, Update
from sync_core.rules.learner import plan_learner_edited
from sync_core.settings import IntegrationSettings, Mode
from tests.unit.sync_core.rules.builders import TODAY, learner

PUSH = IntegrationSettings(integration_enabled=True, learner_mode=Mode.PUSH)


class NoLinks:
    """Lookups that find nothing."""

    def sa_id(self, entity: str, pics_id: str) -> str | None:
        return None

    def course_id(self, qualification_reference: str) -> str | None:
        return None


def pushed(settings: IntegrationSettings, **changes: Any) -> dict[str, Any]:
    plan = plan_learner_edited({"learner": learner(**changes)}, settings, NoLinks(), TODAY)
    assert len(plan) == 2 and isinstance(plan[0], EnsureLearner) and isinstance(plan[1], Update), plan
    return dict(plan[1].fields)


@pytest.mark.parametrize(
    ("settings", "present", "absent"),
    [
        pytest.param(PUSH, set(DEMOGRAPHICS.values()), {"studentId", "gender", "ethnicity", "disability"}, id="L1-push-sends-demographics"),
        pytest.param(PUSH, {"uln"}, set(), id="L2-uln-pushed-with-push-mode"),
        pytest.param(replace(PUSH, student_id_from_lrn=True), {"studentId"}, set(), id="L1-S4-on-sends-student-id"),
        pytest.param(replace(PUSH, sync_gender=True), {"gender"}, {"ethnicity"}, id="L3-S7-on-sends-gender"),
        pytest.param(replace(PUSH, sync_ethnicity=True), {"ethnicity"}, {"gender"}, id="L3-S8-on-sends-ethnicity"),
        pytest.param(replace(PUSH, send_disability=True), {"disability"}, set(), id="L4-S9-on-sends-disability"),
        pytest.param(
            IntegrationSettings(learner_mode=Mode.NONE, send_disability=True, sync_gender=True),
            {"disability"}, set(DEMOGRAPHICS.values()) | {"gender"}, id="L4-disability-whatever-S6",
        ),
        pytest.param(
            IntegrationSettings(learner_mode=Mode.PULL, send_disability=True, sync_ethnicity=True),
            {"disability", "uln"}, (set(DEMOGRAPHICS.values()) - {"uln"}) | {"ethnicity"},
            id="L5-pull-mode-pushes-no-demographics",
        ),
        pytest.param(IntegrationSettings(learner_mode=Mode.PULL), {"uln"}, set(DEMOGRAPHICS.values()) - {"uln"}, id="L2-v2-uln-still-pushed-in-pull-mode"),
        pytest.param(
            IntegrationSettings(learner_mode=Mode.PULL, student_id_from_lrn=True, sync_gender=True),
            {"uln"}, {"studentId", "gender"}, id="L2-v2-pull-mode-pushes-uln-alone",
        ),
    ],
)  # fmt: skip
def test_fields_pushed_follow_the_settings(settings: IntegrationSettings, present: set[str], absent: set[str]) -> None:
    """Each setting adds or withholds exactly its fields."""
    fields = pushed(settings)
    assert present <= fields.keys()
    assert not absent & fields.keys()


def test_values_are_pics_after_image_values() -> None:
    """L1: SA gets PICS's values, dates as ISO text."""
    fields = pushed(replace(PUSH, student_id_from_lrn=True), email="new@example.org")
    assert fields["email"] == "new@example.org"
    assert fields["dateOfBirth"] == "2001-02-03"
    assert fields["studentId"] == "LRN1"


def test_nothing_to_push_is_a_skip() -> None:
    """L5: with S6 = None and no toggle there is no field to push: the event is skipped, naming the rule."""
    plan = plan_learner_edited({"learner": learner()}, IntegrationSettings(learner_mode=Mode.NONE), NoLinks(), TODAY)
    assert plan == (Skip("learner details are not pushed under the settings", rule="L5"),)


def test_x2_v2_learner_not_in_sa_is_skipped_not_parked() -> None:
    """X2 v2: an edit of a learner with no Smart Assessor ID is skipped "not in Smart Assessor"; nothing parks."""
    plan = plan_learner_edited({"learner": learner(smart_assessor_id=None)}, PUSH, NoLinks(), TODAY)
    assert plan == (Skip("not in Smart Assessor", rule="X2"),)
    assert not any(isinstance(step, Park) for step in plan)


@pytest.mark.parametrize(
    ("changes", "pushed_to_sa"),
    [
        pytest.param({}, True, id="Y2-live-in-learning"),
        pytest.param({"system_status": "Archived"}, False, id="Y2-not-live"),
        pytest.param({"system_status": "Archived", "smart_assessor_id": None}, False, id="Y2-not-live-and-not-in-sa"),
        pytest.param({"programme_status": "Completed", "end_date": date(2026, 11, 1)}, True, id="Y2-ended-this-month"),
        pytest.param({"programme_status": "Completed", "end_date": date(2026, 10, 22)}, True, id="Y2-v2-ended-over-a-month-ago-still-pushed"),
        pytest.param({"programme_status": "Withdrawn", "end_date": date(2025, 7, 31)}, True, id="Y2-v2-ended-last-year-still-pushed"),
        pytest.param({"programme_status": "Withdrawn", "end_date": None}, True, id="Y2-v2-not-learning-no-end-still-pushed"),
    ],
)  # fmt: skip
def test_y2_v2_any_live_learner_in_sa_is_pushed(changes: dict[str, Any], pushed_to_sa: bool) -> None:
    """Y2 v2: an edit reaches SA for any Live learner with an SA record, eligible for the daily run or not."""
    plan = plan_learner_edited({"learner": learner(**changes)}, PUSH, NoLinks(), TODAY)
    assert isinstance(plan[-1], Update) is pushed_to_sa
    if not pushed_to_sa:
        assert plan == (Skip("not live", rule="Y2"),)


def test_d7_an_edit_goes_to_the_learner_its_ensure_step_finds_again_if_sa_lost_it() -> None:
    """D7, U10: the edit is sent to ``Ref("learner", ident)`` behind an EnsureLearner holding PICS's Smart
    Assessor ID (no SA call while SA holds it) and what an upload would send, should SA no longer hold the
    record: the learner's details and MIS id, without the welcome email it was sent once (U7)."""
    welcomed = IntegrationSettings(integration_enabled=True, learner_mode=Mode.PUSH, send_welcome_email=True)
    edited = learner(smart_assessor_id="sa-guid-1")
    ensure, update = plan_learner_edited({"learner": edited}, welcomed, NoLinks(), TODAY)
    assert isinstance(ensure, EnsureLearner) and isinstance(update, Update)
    assert (ensure.learner_ident, ensure.sa_id, update.target) == ("L1", "sa-guid-1", Ref("learner", "L1"))
    assert ensure.fields["misId"] == "L1" and ensure.fields["surname"] == edited["surname"]
    assert "sendWelcomeEmail" not in ensure.fields
