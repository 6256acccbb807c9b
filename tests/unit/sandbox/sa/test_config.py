"""The SA sandbox's credentials: from SA_SANDBOX_* variables, or from the files their *_FILE variables name."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.sa.__main__ import config_from, parse_args
from sandbox.sa.config import SandboxConfig, secrets_from
from sync_core.errors import ConfigurationError


def _secret(tmp_path: Path, name: str, value: str) -> str:
    path = tmp_path / name
    path.write_text(value + "\n")
    return str(path)


def test_secrets_are_read_from_the_files_the_file_variables_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SA_SANDBOX_PASSWORD_FILE and SA_SANDBOX_CLIENT_KEY_FILE (Docker secrets) supply the credentials it accepts."""
    monkeypatch.delenv("SA_SANDBOX_PASSWORD", raising=False)
    monkeypatch.delenv("SA_SANDBOX_CLIENT_KEY", raising=False)
    monkeypatch.setenv("SA_SANDBOX_PASSWORD_FILE", _secret(tmp_path, "sa_password", "from-a-file"))
    monkeypatch.setenv("SA_SANDBOX_CLIENT_KEY_FILE", _secret(tmp_path, "sa_client_key", "key-from-a-file"))
    config = config_from(parse_args([]))
    assert (config.password, config.client_key) == ("from-a-file", "key-from-a-file")


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        pytest.param({}, {}, id="unset-keeps-the-defaults"),
        pytest.param(
            {"SA_SANDBOX_PASSWORD": "plain", "SA_SANDBOX_CLIENT_KEY": "key"},
            {"password": "plain", "client_key": "key"},
            id="variables",
        ),
        pytest.param(
            {"SA_SANDBOX_PASSWORD": "plain", "SA_SANDBOX_PASSWORD_FILE": "/nonexistent"},
            {"password": "plain"},
            id="variable-wins-over-its-file",
        ),
        pytest.param({"SA_SANDBOX_CLIENT_KEY_FILE": ""}, {}, id="empty-file-variable-is-unset"),
    ],
)
def test_which_source_each_secret_comes_from(environ: dict[str, str], expected: dict[str, str]) -> None:
    """A set variable is used as it is; a file only when the variable is unset; neither leaves the default."""
    assert secrets_from(environ) == expected
    assert SandboxConfig(**secrets_from(environ)).password == expected.get("password", SandboxConfig().password)


def test_unreadable_file_is_one_line_naming_the_variable(tmp_path: Path) -> None:
    """A *_FILE naming no file stops the sandbox with one line naming the variable, not what it holds."""
    missing = str(tmp_path / "no-such-file")
    with pytest.raises(ConfigurationError) as invalid:
        secrets_from({"SA_SANDBOX_CLIENT_KEY_FILE": missing})
    [line] = str(invalid.value).splitlines()
    assert line.startswith("SA_SANDBOX_CLIENT_KEY_FILE: cannot read the file it names") and missing not in line
