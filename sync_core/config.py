"""Runtime configuration: one frozen object built once from ``PICS_SYNC_*`` environment variables.

Secrets are ``SecretStr`` and can come from a file named by ``<NAME>_FILE`` (Docker and Kubernetes
secrets), so they never need to sit in the environment or a log line.
"""

from __future__ import annotations

import os
from typing import Any

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from sync_core.errors import ConfigurationError

ENV_PREFIX = "PICS_SYNC_"
_SECRETS = ("sa_password", "sa_client_key", "database_url")


class RuntimeConfig(BaseSettings):
    """Where the broker, the databases and Smart Assessor are, and how to reach them."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="ignore")

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_group_id: str = "pics-sync-push"
    kafka_session_timeout_ms: int = Field(default=45_000, ge=6_000)  # how soon a dead member's partitions move
    topic_prefix: str = ""  # prepended to every topic name, e.g. "staging." or a test's own prefix
    schema_registry_url: str | None = None
    database_url: SecretStr = SecretStr("postgresql://postgres@localhost/postgres")
    sa_base_url: str = "http://127.0.0.1:8700"
    sa_username: str = "sandbox"
    sa_password: SecretStr = SecretStr("")
    sa_client_key: SecretStr = SecretStr("")
    sa_timeout_s: float = Field(default=10.0, gt=0)
    # The push consumer's guard on SA: calls a second (token bucket) and calls at once (workers).
    sa_rate_limit_per_s: float | None = Field(default=None, gt=0)  # unset: as fast as the workers go
    sa_max_concurrency: int = Field(default=32, ge=1, le=512)
    settings_ttl_s: float = Field(default=5.0, ge=0)  # how long integration settings are cached
    crash_at: str | None = None  # fault hook for crash tests: exit at this checkpoint (sync_core.faults)
    log_level: str = Field(default="INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$")

    @model_validator(mode="before")
    @classmethod
    def _read_secret_files(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        for name in _SECRETS:
            path = os.environ.get(f"{ENV_PREFIX}{name.upper()}_FILE")
            if path and name not in data:
                with open(path, encoding="utf-8") as secret:
                    data[name] = secret.read().strip()
        return data


def topic(config: RuntimeConfig, logical: str) -> str:
    """The physical topic name of a logical one such as ``pics.learner``."""
    return config.topic_prefix + logical


def load_config(**overrides: Any) -> RuntimeConfig:
    """Build the configuration, turning every invalid value into one readable line."""
    try:
        return RuntimeConfig(**overrides)
    except ValidationError as invalid:
        lines = [f"{ENV_PREFIX}{'.'.join(map(str, err['loc'])).upper()}: {err['msg']}" for err in invalid.errors()]
        raise ConfigurationError("invalid configuration:\n" + "\n".join(lines)) from None
