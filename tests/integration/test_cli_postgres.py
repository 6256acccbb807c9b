"""The console script against the real PostgreSQL: settings show and set, with clear errors."""

from __future__ import annotations

import json

import pytest

from consumers.cli import main
from sandbox.stack.local import Stack
from sandbox.stack.postgres import fresh_database

pytestmark = pytest.mark.integration


@pytest.fixture
def database(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> str:
    url = fresh_database(stack.database_url)
    monkeypatch.setenv("PICS_SYNC_DATABASE_URL", url)
    return url


def test_settings_set_then_show(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`settings set` stores a normalised value that `settings show --json` then reports."""
    assert main(["settings", "set", "S6", "push"]) == 0
    assert "Update Learner Demographics Mode = Push PICS Data to Smart Assessor" in capsys.readouterr().out
    assert main(["settings", "show", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert shown["Update Learner Demographics Mode"] == "Push PICS Data to Smart Assessor"
    assert shown["Integration Enabled"] == "off"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["settings", "set", "Colour", "blue"], 'unknown setting "Colour"', id="unknown-name"),
        pytest.param(["settings", "set", "S1", "maybe"], "takes on or off", id="bad-value"),
    ],
)
def test_settings_set_refuses_with_a_clear_error(
    database: str, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown name or value exits 2 with a message saying what fits."""
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_review_types_set_show_unset(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    """S17: `settings review-types` maps a session type (any case), lists it, and unmaps it."""
    assert main(["settings", "review-types", "--set", "formal review", "Progress Review", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"Formal Review": "Progress Review"}
    assert main(["settings", "review-types", "--unset", "Formal Review", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {}


def test_review_types_refuses_an_unknown_session_type(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    """S17: an SA session type SA does not have is refused, listing the real ones."""
    assert main(["settings", "review-types", "--set", "Coffee", "Chat"]) == 2
    assert 'unknown SA session type "Coffee"' in capsys.readouterr().err
