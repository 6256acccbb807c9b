"""Runtime configuration from PICS_SYNC_* variables, with secrets from files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from sync_core.config import load_config
from sync_core.errors import ConfigurationError


def test_secret_is_read_from_file_and_hidden(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A *_FILE variable supplies the secret; its value never shows in a repr."""
    secret = tmp_path / "password"
    secret.write_text("s3cret-value\n")
    monkeypatch.setenv("PICS_SYNC_SA_PASSWORD_FILE", str(secret))
    config = load_config()
    assert config.sa_password.get_secret_value() == "s3cret-value"
    assert "s3cret-value" not in repr(config)


def test_each_invalid_value_is_one_readable_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """Invalid variables are reported by their environment names, one a line."""
    monkeypatch.setenv("PICS_SYNC_SA_TIMEOUT_S", "-1")
    monkeypatch.setenv("PICS_SYNC_LOG_LEVEL", "LOUD")
    with pytest.raises(ConfigurationError) as invalid:
        load_config()
    assert "PICS_SYNC_SA_TIMEOUT_S" in str(invalid.value) and "PICS_SYNC_LOG_LEVEL" in str(invalid.value)


def _latin_1_file(tmp_path: Path) -> Path:
    written = tmp_path / "latin-1"
    written.write_bytes(b"caf\xe9")
    return written


@pytest.mark.parametrize(
    "make_path",
    [
        pytest.param(lambda tmp_path: tmp_path / "no-such-file", id="missing"),
        pytest.param(lambda tmp_path: tmp_path, id="a-directory"),
        pytest.param(_latin_1_file, id="not-utf-8"),
    ],
)
def test_unreadable_secret_file_is_one_line_naming_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_path: Callable[[Path], Path]
) -> None:
    """A *_FILE variable naming a file that cannot be read stops start-up with one line naming the variable, not its value."""
    path = str(make_path(tmp_path))
    monkeypatch.setenv("PICS_SYNC_KAFKA_SASL_PASSWORD_FILE", path)
    with pytest.raises(ConfigurationError) as invalid:
        load_config()
    [line] = str(invalid.value).splitlines()
    assert line.startswith("PICS_SYNC_KAFKA_SASL_PASSWORD_FILE: cannot read the file it names (")
    assert path not in line  # a secret pasted into the variable by mistake is not echoed


@pytest.mark.parametrize(
    ("variables", "workers"),
    [
        pytest.param({}, 48, id="default-one-and-a-half-times-the-default-cap"),
        pytest.param({"PICS_SYNC_SA_MAX_CONCURRENCY": "8"}, 12, id="follows-the-cap"),
        pytest.param({"PICS_SYNC_SA_MAX_CONCURRENCY": "1"}, 1, id="at-least-one"),
        pytest.param({"PICS_SYNC_CONSUMER_WORKERS": "20", "PICS_SYNC_SA_MAX_CONCURRENCY": "8"}, 20, id="set"),
    ],
)
def test_consumer_workers_default_to_more_than_the_sa_cap(
    variables: dict[str, str], workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue #5: the push consumer runs more workers than SA calls at once, so their ledger round
    trips leave no SA slot idle; the cap itself stays ``sa_max_concurrency``."""
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert load_config().workers == workers
