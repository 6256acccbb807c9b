"""Secrets from ``PICS_SYNC_<NAME>_FILE``: the registry URL among them, and never two sources at once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sync_core.config import _SECRETS, ENV_PREFIX, load_config
from sync_core.errors import ConfigurationError

REGISTRY = "https://sync:registry-s3cret@registry.example:8081"
ROOT = Path(__file__).resolve().parents[3]


def _secret_file(tmp_path: Path, value: str) -> str:
    written = tmp_path / "secret"
    written.write_text(value + "\n", encoding="utf-8")
    return str(written)


def test_registry_url_comes_from_its_file_and_stays_out_of_the_repr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PICS_SYNC_SCHEMA_REGISTRY_URL_FILE supplies the registry URL, whose login never shows in a repr."""
    monkeypatch.setenv("PICS_SYNC_SCHEMA_REGISTRY_URL_FILE", _secret_file(tmp_path, REGISTRY))
    config = load_config()
    assert config.schema_registry_url == REGISTRY
    assert "registry-s3cret" not in repr(config) and "registry-s3cret" not in str(config)


@pytest.mark.parametrize("name", _SECRETS)
def test_a_variable_and_its_file_both_set_is_one_line_naming_both(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Set both ways, a secret stops start-up with one line naming the two variables, neither value nor path."""
    plain, path = f"{ENV_PREFIX}{name.upper()}", _secret_file(tmp_path, "from-the-file-" + "x" * 32)
    monkeypatch.setenv(plain, "from-the-variable-" + "y" * 32)
    monkeypatch.setenv(f"{plain}_FILE", path)
    with pytest.raises(ConfigurationError) as both:
        load_config()
    [line] = str(both.value).splitlines()
    assert line == f"{plain} and {plain}_FILE are both set: set only one of them"


def test_an_empty_variable_leaves_the_file_to_supply_the_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An empty PICS_SYNC_SA_PASSWORD counts as unset: the file its _FILE names is read, and nothing is refused."""
    monkeypatch.setenv("PICS_SYNC_SA_PASSWORD", "")
    monkeypatch.setenv("PICS_SYNC_SA_PASSWORD_FILE", _secret_file(tmp_path, "from-the-file"))
    assert load_config().sa_password.get_secret_value() == "from-the-file"


def test_both_set_stops_a_command_with_exit_2_and_no_value(tmp_path: Path) -> None:
    """`pics-sync status` with PICS_SYNC_DATABASE_URL and its _FILE both set exits 2 with the one line on stderr."""
    url = "postgresql://pics:db-s3cret@127.0.0.1:9/pics"  # loopback, port 9: if it were tried, nothing is reached
    env = {"PATH": "/usr/bin:/bin", "PICS_SYNC_DATABASE_URL": url}
    env["PICS_SYNC_DATABASE_URL_FILE"] = _secret_file(tmp_path, url)
    command = [sys.executable, "-c", "from consumers.cli import main; raise SystemExit(main(['status']))"]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "PICS_SYNC_DATABASE_URL and PICS_SYNC_DATABASE_URL_FILE are both set" in done.stderr
    assert "db-s3cret" not in done.stdout + done.stderr and str(tmp_path) not in done.stderr
