"""Rules L1–L5, Y2 and X2: which learner fields a LearnerEdited pushes under each setting."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from sync_core.fields import DEMOGRAPHICS
from sync_core.plan import Park, Skip, Update
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
    assert len(plan) == 1 and isinstance(plan[0], Update), plan
    return dict(plan[0].fields)


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
            {"disability"}, set(DEMOGRAPHICS.values()) | {"ethnicity"}, id="L5-pull-mode-pushes-no-demographics",
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


@pytest.mark.parametrize(
    ("mode", "expected_rule"),
    [
        pytest.param(Mode.NONE, "L5", id="L5-none-pushes-nothing"),
        pytest.param(Mode.PULL, "L5", id="L5-pull-pushes-nothing"),
    ],
)
def test_nothing_to_push_is_a_skip(mode: Mode, expected_rule: str) -> None:
    """L5: with no field to push the event is skipped, naming the rule."""
    plan = plan_learner_edited({"learner": learner()}, IntegrationSettings(learner_mode=mode), NoLinks(), TODAY)
    assert plan == (Skip("learner details are not pushed under the settings", rule=expected_rule),)


def test_learner_not_in_sa_is_parked() -> None:
    """X2: an edit of a learner with no Smart Assessor ID parks as "not enrolled"."""
    plan = plan_learner_edited({"learner": learner(smart_assessor_id=None)}, PUSH, NoLinks(), TODAY)
    assert plan == (Park("not enrolled", rule="X2"),)


@pytest.mark.parametrize(
    ("changes", "eligible"),
    [
        pytest.param({}, True, id="Y1-live-in-learning"),
        pytest.param({"system_status": "Archived"}, False, id="Y1-not-live"),
        pytest.param({"programme_status": "Completed", "end_date": date(2026, 11, 1)}, True, id="Y1-ended-this-month"),
        pytest.param({"programme_status": "Completed", "end_date": date(2026, 10, 23)}, True, id="Y1-ended-a-month-ago-to-the-day"),
        pytest.param({"programme_status": "Completed", "end_date": date(2026, 10, 22)}, False, id="Y1-ended-over-a-month-ago"),
        pytest.param({"programme_status": "Withdrawn", "end_date": None}, False, id="Y1-not-learning-no-end"),
    ],
)  # fmt: skip
def test_only_eligible_learners_are_pushed(changes: dict[str, Any], eligible: bool) -> None:
    """Y2: a change of an ineligible learner is skipped as "not eligible"."""
    plan = plan_learner_edited({"learner": learner(**changes)}, PUSH, NoLinks(), TODAY)
    assert isinstance(plan[0], Update) is eligible
    if not eligible:
        assert plan == (Skip("not eligible", rule="Y2"),)
