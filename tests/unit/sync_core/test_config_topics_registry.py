"""The topic layout and the schema registry's login from PICS_SYNC_* variables, and their errors in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync_core.config import TopicLayout, load_config, topic_layout
from sync_core.errors import ConfigurationError

DAY_MS = 86_400_000


def test_the_default_layout_keeps_thirty_days() -> None:
    """Unset, topics get 6 partitions, the broker's replication factor, 30 days and the delete policy."""
    assert topic_layout(load_config()) == TopicLayout(6, -1, 30 * DAY_MS, "delete") == TopicLayout()


@pytest.mark.parametrize(
    ("variables", "layout"),
    [
        pytest.param({"PARTITIONS": "12", "REPLICATION_FACTOR": "3"}, TopicLayout(12, 3), id="partitions-replicas"),
        pytest.param({"RETENTION_DAYS": "90"}, TopicLayout(retention_ms=90 * DAY_MS), id="retention-days"),
        pytest.param({"RETENTION_DAYS": "0.5"}, TopicLayout(retention_ms=DAY_MS // 2), id="retention-half-day"),
        pytest.param({"RETENTION_MS": "-1"}, TopicLayout(retention_ms=-1), id="retention-for-ever"),
        pytest.param({"CLEANUP_POLICY": "compact,delete"}, TopicLayout(cleanup_policy="compact,delete"), id="policy"),
    ],
)
def test_topic_settings(variables: dict[str, str], layout: TopicLayout, monkeypatch: pytest.MonkeyPatch) -> None:
    """PICS_SYNC_TOPIC_* become the layout ensure_topics creates with."""
    for name, value in variables.items():
        monkeypatch.setenv(f"PICS_SYNC_TOPIC_{name}", value)
    assert topic_layout(load_config()) == layout


@pytest.mark.parametrize(
    ("variables", "line"),
    [
        pytest.param(
            {"TOPIC_RETENTION_MS": "1000", "TOPIC_RETENTION_DAYS": "1"},
            "PICS_SYNC_TOPIC_RETENTION_MS and PICS_SYNC_TOPIC_RETENTION_DAYS are both set: set only one of them",
            id="retention-twice",
        ),
        pytest.param({"TOPIC_PARTITIONS": "0"}, "PICS_SYNC_TOPIC_PARTITIONS: ", id="no-partitions"),
        pytest.param({"TOPIC_REPLICATION_FACTOR": "-2"}, "PICS_SYNC_TOPIC_REPLICATION_FACTOR: ", id="replicas"),
        pytest.param({"TOPIC_RETENTION_DAYS": "0"}, "PICS_SYNC_TOPIC_RETENTION_DAYS: ", id="zero-days"),
        pytest.param({"TOPIC_CLEANUP_POLICY": "keep"}, "PICS_SYNC_TOPIC_CLEANUP_POLICY: ", id="policy"),
        pytest.param(
            {"SCHEMA_REGISTRY_USER_INFO": "just-a-password"},
            "PICS_SYNC_SCHEMA_REGISTRY_USER_INFO: Value error, must be user:password",
            id="user-info-without-user",
        ),
        pytest.param(
            {"SCHEMA_REGISTRY_USER_INFO": "u:p", "SCHEMA_REGISTRY_BEARER_TOKEN": "t"},
            "PICS_SYNC_SCHEMA_REGISTRY_USER_INFO and PICS_SYNC_SCHEMA_REGISTRY_BEARER_TOKEN are both set",
            id="two-logins",
        ),
    ],
)
def test_invalid_settings_are_one_line(variables: dict[str, str], line: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each invalid topic or registry setting stops start-up with a line naming the variable, never a value."""
    for name, value in variables.items():
        monkeypatch.setenv(f"PICS_SYNC_{name}", value)
    with pytest.raises(ConfigurationError) as invalid:
        load_config()
    assert line in str(invalid.value)
    assert "just-a-password" not in str(invalid.value)


@pytest.mark.parametrize("name", ["USER_INFO", "BEARER_TOKEN", "SSL_KEY_PASSWORD"])
def test_registry_secrets_come_from_their_files(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The registry's login and key password can come from PICS_SYNC_SCHEMA_REGISTRY_<NAME>_FILE, never shown."""
    secret = tmp_path / "secret"
    secret.write_text("sync:file-s3cret\n", encoding="utf-8")
    monkeypatch.setenv(f"PICS_SYNC_SCHEMA_REGISTRY_{name}_FILE", str(secret))
    config = load_config()
    value = getattr(config, f"schema_registry_{name.lower()}")
    assert value.get_secret_value() == "sync:file-s3cret"
    assert "file-s3cret" not in repr(config)
