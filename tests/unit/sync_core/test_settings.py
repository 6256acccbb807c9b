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
        pytest.param("S14", "Headteacher", "one of Main Officer", id="S14-unknown-role"),
    ],
)
def test_bad_values_say_what_fits(name: str, value: str, message: str) -> None:
    """An invalid value is refused with the values that would fit."""
    with pytest.raises(ConfigurationError, match=message):
        settings.normalise(settings.find(name), value)


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
