"""Small helpers the subcommands share."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from psycopg_pool import ConnectionPool

from sync_core.config import load_config
from sync_core.state.database import migrate, open_pool


@contextmanager
def pool_from_env() -> Iterator[ConnectionPool]:
    """A pool on the configured database, migrated first."""
    url = load_config().database_url.get_secret_value()
    migrate(url)
    with open_pool(url, max_size=2) as pool:
        yield pool
