"""Runtime configuration from PICS_SYNC_* variables, with secrets from files."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync_core.config import load_config
from sync_core.errors import ConfigurationError, SaRateLimited, SaRejected, SaUnavailable
from sync_core.retry import backoff_hook


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


@pytest.mark.parametrize(
    ("failure", "decision"),
    [
        pytest.param(SaUnavailable("503", status=503), True, id="5xx-retried"),
        pytest.param(SaRateLimited("429", retry_after=2.5), 2.5, id="429-waits-retry-after"),
        pytest.param(SaRateLimited("429"), True, id="429-without-retry-after-backs-off"),
        pytest.param(SaRejected("422", status=422), False, id="4xx-not-retried"),
        pytest.param(ValueError("bug"), False, id="bug-not-retried"),
    ],
)
def test_backoff_hook(failure: Exception, decision: bool | float) -> None:
    """Transient errors retry (honouring Retry-After); permanent ones do not."""
    assert backoff_hook(failure) == decision
