"""The integration settings S1–S16: names, values, defaults and the errors an operator sees."""

from __future__ import annotations

import pytest

from sync_core import settings
from sync_core.errors import ConfigurationError
from sync_core.settings import IntegrationSettings, Mode


def test_defaults_are_domains() -> None:
    """S1–S16 default as DOMAIN.md §1 says when nothing is stored."""
    assert settings.build({}) == IntegrationSettings()
    assert IntegrationSettings().integration_enabled is False
    assert IntegrationSettings().learner_mode is Mode.NONE
    assert IntegrationSettings().qualification_dates_mode is Mode.PUSH


@pytest.mark.parametrize(
    ("name", "value", "stored"),
    [
        pytest.param("Integration Enabled", "ON", "on", id="S1-switch-case-insensitive"),
        pytest.param("s1", "false", "off", id="S1-by-id"),
        pytest.param("Update Learner Demographics Mode", "push", Mode.PUSH.value, id="S6-alias-push"),
        pytest.param("S6", "Update PICS from Smart Assessor Data", Mode.PULL.value, id="S6-full-name"),
        pytest.param("S16", "pull", Mode.PULL.value, id="S16-pull"),
        pytest.param("S14", "iqa", "IQA", id="S14-role"),
        pytest.param("S14", "none", "none", id="S14-none"),
        pytest.param("S14", "Skills Coach", "Skills Coach", id="S14-v2-a-providers-own-role"),
    ],
)
def test_values_are_normalised(name: str, value: str, stored: str) -> None:
    """Operators may type ids, aliases and any case; the stored text is canonical."""
    assert settings.normalise(settings.find(name), value) == stored


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        pytest.param("Integration Enabled", "maybe", "takes on or off", id="S1-bad-switch"),
        pytest.param("S16", "none", "takes", id="S16-has-no-none"),
        pytest.param("S14", "Main Officer", "the Main Officer is already the first assessor", id="S14-v2-main-officer-refused"),
        pytest.param("S14", "main officer", "the Main Officer is already the first assessor", id="S14-v2-main-officer-any-case"),
    ],
)  # fmt: skip
def test_bad_values_say_what_fits(name: str, value: str, message: str) -> None:
    """An invalid value is refused with the values that would fit."""
    with pytest.raises(ConfigurationError, match=message):
        settings.normalise(settings.find(name), value)


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        pytest.param("skills coach", "Skills Coach", id="S14-v2-spelt-as-pics-spells-it"),
        pytest.param("IQA", "IQA", id="S14-v2-demo-role-pics-holds"),
    ],
)
def test_s14_v2_takes_the_roles_pics_holds(value: str, stored: str) -> None:
    """S14 v2: any role found in PICS's data is accepted, in PICS's spelling."""
    assert settings.normalise(settings.find("S14"), value, ["Main Officer", "IQA", "Skills Coach"]) == stored


def test_s14_v2_a_role_pics_does_not_hold_is_refused_listing_those_it_does() -> None:
    """S14 v2: a role no PICS learner has is refused, naming the roles PICS holds (not Main Officer)."""
    with pytest.raises(ConfigurationError, match=r"other than Main Officer: IQA, Skills Coach$"):
        settings.normalise(settings.find("S14"), "Headteacher", ["Main Officer", "IQA", "Skills Coach"])


def test_unknown_name_lists_the_settings() -> None:
    """An unknown setting name is refused, listing the real names."""
    with pytest.raises(ConfigurationError, match=r'unknown setting "Colour".*"Integration Enabled"'):
        settings.find("Colour")


def test_build_reads_stored_text() -> None:
    """Stored text becomes typed settings."""
    built = settings.build(
        {"Integration Enabled": "on", "Update Learner Gender": "on", "S14": "x"}, {"EPA": "End Point"}
    )
    assert built.integration_enabled and built.sync_gender
    assert built.review_types == {"EPA": "End Point"}


@pytest.mark.parametrize(
    ("before", "after", "stale"),
    [
        pytest.param({}, {"Update Learner Gender": "on"}, {"learner"}, id="X1-v2-S7-on-learner-stale"),
        pytest.param({"Update Learner Gender": "on"}, {"Update Learner Gender": "on"}, set(), id="X1-v2-same-value-nothing-stale"),
        pytest.param({}, {"Update Learner Gender": "off"}, set(), id="X1-v2-default-stored-nothing-stale"),
        pytest.param({}, {"S10": "x", "Update Officer Demographics Mode": "Push PICS Data to Smart Assessor"}, {"assessor"}, id="X1-v2-S10-assessors-stale"),
        pytest.param({}, {"Update Qualification Dates Mode": "Update PICS from Smart Assessor Data"}, {"enrolment"}, id="X1-v2-S16-courses-stale"),
        pytest.param({}, {"Push Changes to Qualification Assessors": "on"}, {"learner", "enrolment"}, id="X1-v2-S15-learner-and-courses-stale"),
        pytest.param({}, {"Integration Enabled": "on", "Send Learner Welcome Email": "on"}, set(), id="X1-v2-S1-S3-push-nothing-stale"),
    ],
)  # fmt: skip
def test_x1_v2_a_setting_change_makes_the_pushed_state_it_governs_stale(
    before: dict[str, str], after: dict[str, str], stale: set[str]
) -> None:
    """X1 v2: while a field is not pushed PICS and SA may part; changing its setting forgets what we pushed."""
    assert settings.stale_kinds(before, after) == stale
