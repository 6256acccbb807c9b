"""Small helpers the subcommands share."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from psycopg_pool import ConnectionPool

from sync_core.config import load_config
from sync_core.state.database import limits_of, migrate, open_pool


@contextmanager
def pool_from_env() -> Iterator[ConnectionPool]:
    """A pool on the configured database, migrated first."""
    config = load_config()
    url, limits = config.database_url.get_secret_value(), limits_of(config)
    migrate(url, limits)
    with open_pool(url, max_size=2, limits=limits) as pool:
        yield pool


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell, indented; the last column runs on unpadded."""
    lines = [header, *rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    return "\n".join("  " + "  ".join([*(c.ljust(w) for c, w in zip(line, widths, strict=False)), line[-1]]).rstrip()
                     for line in lines)  # fmt: skip
