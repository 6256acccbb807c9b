"""The CLI's one exception boundary: one line, our message only, the exit codes kept."""

from __future__ import annotations

import pytest

from consumers.cli import main
from consumers.cli.boundary import debugging, guarded
from sync_core.errors import ConfigurationError, DatabaseUnavailable

SECRET = "s3cret-pw"
URL = f"postgresql://pics:{SECRET}@db.example.org/pics"
ROW = "Ada, Lovelace, 2001-02-03"  # names, not literals, at the raising lines: a traceback quotes their source


def _raising(error: BaseException) -> int:
    raise error


def _library_error() -> int:
    try:
        raise ValueError(f'missing "=" after "{URL}" in connection info string')
    except ValueError as parsing:
        raise RuntimeError(f"Failing row contains ({ROW}, {URL})") from parsing


@pytest.mark.parametrize(
    ("error", "code", "line"),
    [
        pytest.param(
            ConfigurationError("PICS_SYNC_HASH_KEY: too short"),
            2,
            "pics-sync: PICS_SYNC_HASH_KEY: too short",
            id="configuration-2",
        ),
        pytest.param(
            DatabaseUnavailable(f"cannot connect to the database {URL}"),
            1,
            "pics-sync: DatabaseUnavailable: cannot connect to the database postgresql://pics:***@db.example.org/pics",
            id="ours-1-password-masked",
        ),
        pytest.param(
            KeyError(f"ada@example.org {URL}"),
            1,
            "pics-sync: KeyError (unexpected; its message is not shown",
            id="foreign-1-class-only",
        ),
    ],
)
def test_an_error_is_one_line_with_our_message_only(
    error: Exception, code: int, line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Our errors print class and message (scrubbed), another library's its class only; 2 for configuration, else 1."""
    assert guarded(lambda: _raising(error), debug=False) == code
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(line) and len(err.strip().splitlines()) == 1
    assert SECRET not in err and "ada@example.org" not in err and "Traceback" not in err


def test_debug_shows_frames_but_no_library_message(capsys: pytest.CaptureFixture[str]) -> None:
    """With --debug the traceback follows: its frames and classes, never a library's message with a password or a row."""
    assert guarded(_library_error, debug=True) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "in _library_error" in err and "builtins.RuntimeError: [redacted]" in err
    assert SECRET not in err and "Lovelace" not in err and "2001-02-03" not in err


def test_interrupt_and_success_keep_their_codes() -> None:
    """Ctrl-C is 130 and a command's own code passes through."""
    assert guarded(lambda: _raising(KeyboardInterrupt()), debug=False) == 130
    assert guarded(lambda: 3, debug=False) == 3


@pytest.mark.parametrize(("value", "on"), [("", False), ("0", False), ("false", False), ("1", True), ("yes", True)])
def test_pics_sync_debug_variable(value: str, on: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """PICS_SYNC_DEBUG turns the traceback on like --debug; empty, 0 and false leave it off."""
    monkeypatch.setenv("PICS_SYNC_DEBUG", value)
    assert debugging(False) is on and debugging(True)


def test_main_takes_debug_before_the_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`pics-sync --debug db migrate` with a URL psycopg cannot read: exit 2, one line, no password."""
    monkeypatch.setenv("PICS_SYNC_DATABASE_URL", f"postgresq://pics:{SECRET}@127.0.0.1:1/pics")
    assert main(["--debug", "db", "migrate"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("pics-sync: PICS_SYNC_DATABASE_URL: not a PostgreSQL URL") and SECRET not in err
