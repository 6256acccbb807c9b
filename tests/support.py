"""Helpers the test kinds share."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TypeVar

from sync_core.config import RuntimeConfig

T = TypeVar("T")


def wait_until(predicate: Callable[[], T], timeout: float = 30.0, interval: float = 0.1) -> T:
    """Poll until ``predicate`` returns something truthy; fail with a clear message after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s: {predicate}")
        time.sleep(interval)


def process_env(config: RuntimeConfig, **extra: str) -> dict[str, str]:
    """The environment of a ``pics-sync`` process on a test's broker, database, sandbox, topics and group."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("PICS_SYNC_")}
    return inherited | {
        "PICS_SYNC_KAFKA_BOOTSTRAP_SERVERS": config.kafka_bootstrap_servers,
        "PICS_SYNC_DATABASE_URL": config.database_url.get_secret_value(),
        "PICS_SYNC_SA_BASE_URL": config.sa_base_url,
        "PICS_SYNC_SA_USERNAME": config.sa_username,
        "PICS_SYNC_SA_PASSWORD": config.sa_password.get_secret_value(),
        "PICS_SYNC_SA_CLIENT_KEY": config.sa_client_key.get_secret_value(),
        "PICS_SYNC_TOPIC_PREFIX": config.topic_prefix,
        "PICS_SYNC_KAFKA_GROUP_ID": config.kafka_group_id,
        "PICS_SYNC_SETTINGS_TTL_S": "0",
        "PICS_SYNC_LOG_LEVEL": "WARNING",
        "PICS_SYNC_HTTP_PORT": "0",  # several processes run at once; a test that wants the port sets one
        **extra,
    }
