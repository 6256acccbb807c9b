"""A console token shorter than CONSOLE_TOKEN_MIN_LENGTH stops every command at start, naming the setting, never the token."""

from __future__ import annotations

from pathlib import Path

import pytest

import consumers.cli.run_cmd
from consumers.cli import main
from sync_core.config import CONSOLE_TOKEN_MIN_LENGTH, load_config
from sync_core.errors import ConfigurationError

WEAK = "hunter2-but-longer"  # 18 characters


def never_started(*args: object, **kwargs: object) -> None:
    raise AssertionError("`run` went on past its configuration with a weak console token")


def test_run_refuses_a_weak_token_at_start(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """`pics-sync run` exits 2 before touching Kafka, with a line naming PICS_SYNC_CONSOLE_TOKEN and not its value."""
    monkeypatch.setenv("PICS_SYNC_CONSOLE_TOKEN", WEAK)
    monkeypatch.setattr(consumers.cli.run_cmd, "ensure_topics", never_started)
    assert main(["run"]) == 2
    out, err = capsys.readouterr()
    (line,) = [line for line in (out + err).splitlines() if "PICS_SYNC_CONSOLE_TOKEN" in line]
    assert f"at least {CONSOLE_TOKEN_MIN_LENGTH} characters" in line
    assert WEAK not in out + err and WEAK[:6] not in out + err


def test_a_weak_token_from_a_file_is_refused_too(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """PICS_SYNC_CONSOLE_TOKEN_FILE naming a weak token is refused the same way."""
    secret = tmp_path / "console-token"
    secret.write_text(WEAK + "\n", encoding="utf-8")
    monkeypatch.setenv("PICS_SYNC_CONSOLE_TOKEN_FILE", str(secret))
    with pytest.raises(ConfigurationError, match=r"PICS_SYNC_CONSOLE_TOKEN: .*too short") as refused:
        load_config()
    assert WEAK not in str(refused.value)


@pytest.mark.parametrize(
    ("token", "kept"),
    [
        pytest.param("x" * CONSOLE_TOKEN_MIN_LENGTH, True, id="just-long-enough"),
        pytest.param("", False, id="empty-is-unset"),
    ],
)
def test_long_enough_or_empty_is_accepted(token: str, kept: bool) -> None:
    """A token of the minimum length is kept; an empty one means none (actions disabled), not a weak one."""
    config = load_config(console_token=token)
    assert (config.console_token is not None) is kept


def test_one_character_short_is_refused() -> None:
    """One character under the minimum is refused."""
    with pytest.raises(ConfigurationError, match="PICS_SYNC_CONSOLE_TOKEN"):
        load_config(console_token="x" * (CONSOLE_TOKEN_MIN_LENGTH - 1))
