"""The console script against the real PostgreSQL: settings show and set, with clear errors; S14 against
PICS's own roles, and X1's pushed state forgotten when a setting that decides what is pushed changes (v2)."""

from __future__ import annotations

import json

import psycopg
import pytest

from consumers.cli import main
from sandbox.stack.local import Stack
from sandbox.stack.postgres import fresh_database
from sync_core.state.database import migrate

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


def _with_roles(url: str, *roles: str) -> None:
    with psycopg.connect(url) as conn:
        conn.execute("INSERT INTO pics.officer (id, first_name, surname) VALUES ('OFF1', 'A', 'B')")
        for n, role in enumerate(roles):
            conn.execute(
                "INSERT INTO pics.learner (learner_ident, first_name, surname) VALUES (%s, 'C', 'D')", (f"L{n}",)
            )
            conn.execute("INSERT INTO pics.learner_officer VALUES (%s, %s, 'OFF1')", (f"L{n}", role))


def test_s14_v2_takes_a_role_pics_holds_in_its_spelling(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    """S14 v2: `settings set S14 "skills coach"` stores PICS's own spelling of a role PICS holds."""
    _with_roles(database, "Main Officer", "Skills Coach")
    assert main(["settings", "set", "S14", "skills coach"]) == 0
    assert "Qualification Second Assessor Role = Skills Coach" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param("Headteacher", "other than Main Officer: Skills Coach", id="S14-v2-role-pics-lacks"),
        pytest.param("Main Officer", "the Main Officer is already the first assessor", id="S14-v2-main-officer"),
    ],
)
def test_s14_v2_refuses_with_the_roles_pics_holds(
    database: str, value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """S14 v2: a role no PICS learner has, or the Main Officer, exits 2 naming what fits."""
    _with_roles(database, "Main Officer", "Skills Coach")
    assert main(["settings", "set", "S14", value]) == 2
    assert message in capsys.readouterr().err


def test_s14_v2_a_stored_v1_main_officer_becomes_none(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    """S14 v2 (migration 008): an installation v1 let store "Main Officer" loads its settings as "none"."""
    with psycopg.connect(database) as conn:
        conn.execute("INSERT INTO sync.settings VALUES ('Qualification Second Assessor Role', 'Main Officer')")
        conn.execute("DELETE FROM sync.schema_migrations WHERE name LIKE '008%%'")
    migrate(database)
    assert main(["settings", "show", "--json"]) == 0
    assert '"Qualification Second Assessor Role": "none"' in capsys.readouterr().out


def test_x1_v2_changing_a_push_setting_forgets_the_pushed_state_it_governs(database: str) -> None:
    """X1 v2: S6 switched (Pull → Push) forgets what SA holds from us for learners only, so the next edit
    sends every field (a value pulled into PICS meanwhile can no longer hide a needed write)."""
    with psycopg.connect(database) as conn:
        conn.execute(
            "INSERT INTO sync.pushed_state (sa_resource, hash)"
            " VALUES ('learner:g1#email', 'h1'), ('employer:7#name', 'h2'), ('enrolment:9#startDate', 'h3')"
        )
    assert main(["settings", "set", "S6", "pull"]) == 0
    with psycopg.connect(database) as conn:
        kept = [row[0] for row in conn.execute("SELECT sa_resource FROM sync.pushed_state ORDER BY 1")]
    assert kept == ["employer:7#name", "enrolment:9#startDate"]
    assert main(["settings", "set", "S1", "on"]) == 0  # S1 decides nothing about what is pushed
    with psycopg.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM sync.pushed_state").fetchone() == (2,)
