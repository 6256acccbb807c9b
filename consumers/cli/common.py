"""Small helpers the subcommands share."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import psycopg
from psycopg_pool import ConnectionPool

from sync_core.config import RuntimeConfig, load_config
from sync_core.errors import ConfigurationError, DatabaseUnavailable
from sync_core.redaction import mask_url
from sync_core.state.database import limits_of, migrate, open_pool


@contextmanager
def pool_from_env() -> Iterator[ConnectionPool]:
    """A pool on the configured database, migrated first."""
    config = load_config()
    url, limits = config.database_url.get_secret_value(), limits_of(config)
    migrate(url, limits)
    with open_pool(url, max_size=2, limits=limits) as pool:
        yield pool


@contextmanager
def reading_pool(config: RuntimeConfig) -> Iterator[ConnectionPool]:
    """A small pool on the configured database, not migrated: for commands that only read (``status``,
    ``learner``), so a read-only database user will do. A database that cannot be reached is
    ``DatabaseUnavailable`` naming it (its password masked), one without the sync schema a
    ``ConfigurationError`` saying to migrate: one line and exit 1 or 2 for a monitor, not a traceback."""
    url = config.database_url.get_secret_value()
    try:
        opened = open_pool(url, max_size=2, limits=limits_of(config))
    except DatabaseUnavailable as away:
        cause = str(away).rpartition(": ")[2]
        raise DatabaseUnavailable(f"cannot connect to the database {mask_url(url)}: {cause}") from None
    try:
        with opened as pool:
            yield pool
    except psycopg.errors.UndefinedTable:
        raise ConfigurationError("the database holds no sync state yet: run `pics-sync db migrate`") from None
    except psycopg.OperationalError as unreachable:
        raise DatabaseUnavailable(f"cannot reach the database: {type(unreachable).__name__}") from None


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell, indented; the last column runs on unpadded."""
    lines = [header, *rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    return "\n".join("  " + "  ".join([*(c.ljust(w) for c, w in zip(line, widths, strict=False)), line[-1]]).rstrip()
                     for line in lines)  # fmt: skip
