"""PICS's side of `reconcile report --values` (D3): the values the rules would push, per PICS record."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from consumers.ops.drift_values import pushed_values, related
from sync_core.settings import IntegrationSettings, Mode
from tests.unit.fakes import FakeState
from tests.unit.sync_core.rules.builders import TODAY, learner, officer, organisation, qualification, roles

ON = IntegrationSettings(integration_enabled=True)


def snapshot() -> dict[str, Any]:
    """L1 placed at ORG1, Main Officer OFF1, on Q1 (assessed by OFF2)."""
    return {
        "learner": learner(),
        "placement": organisation(),
        "officers": roles(Main_Officer=officer("OFF1")),
        "qualifications": [qualification("Q1", assessor=officer("OFF2"))],
    }


def state() -> FakeState:
    """Q1 enrolled in SA (9001); OFF1 and ORG1 linked."""
    linked = FakeState(courses={"60312345": "12"})
    linked.links.update({("enrolment", "Q1"): "9001", ("assessor", "OFF1"): "55", ("employer", "ORG1"): "77"})
    return linked


def test_related_records_are_the_enrolments_employer_and_assessors() -> None:
    """D3: a learner's records include its enrolments', placement's and officers' (its own and its courses')."""
    assert related(snapshot()) == [("enrolment", "Q1"), ("employer", "ORG1"), ("assessor", "OFF1"),
                                   ("assessor", "OFF2")]  # fmt: skip


@pytest.mark.parametrize(
    ("settings", "key", "field", "value"),
    [
        pytest.param(replace(ON, learner_mode=Mode.PUSH), ("learner", "L1"), "email", "ada@example.org",
                     id="L1-learner-field-as-pushed"),
        pytest.param(replace(ON, push_employer_changes=True), ("learner", "L1"), "employerId", "77",
                     id="E1-employer-ref-as-its-linked-sa-id"),
        pytest.param(ON, ("enrolment", "Q1"), "startDate", "2026-09-01", id="Q2-course-date-on-the-enrolment"),
        pytest.param(replace(ON, push_assessor_changes=True), ("enrolment", "Q1"), "assessorId", None,
                     id="Q1-assessor-not-linked-yet-is-none"),
        pytest.param(replace(ON, organisation_mode=Mode.PUSH), ("employer", "ORG1"), "name", "Acme Ltd",
                     id="G1-employer-field"),
        pytest.param(replace(ON, officer_mode=Mode.PUSH), ("assessor", "OFF1"), "mobileNumber", "07700900001",
                     id="O1-assessor-field"),
    ],
)  # fmt: skip
def test_pushed_values_are_the_rules_own(
    settings: IntegrationSettings, key: tuple[str, str], field: str, value: Any
) -> None:
    """D3: PICS's value of a pushed field is what R1 (G1, O1) would set, a link resolved to its SA id."""
    wanted = pushed_values(snapshot(), settings, state(), TODAY)
    assert wanted[key][field] == value


def test_a_field_not_pushed_under_the_settings_has_no_value() -> None:
    """D1: under S6 = None no learner field is in the plan, so none is shown as PICS's to push."""
    assert "email" not in pushed_values(snapshot(), ON, state(), TODAY).get(("learner", "L1"), {})
