"""Connections and migrations. Migrations are plain SQL files applied in order, tracked in a table."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from sync_core.errors import ConfigurationError, DatabaseUnavailable
from sync_core.redaction import mask_url

# Taken while migrating so two processes starting at once do not both apply a file.
_MIGRATION_LOCK = 0x5049_4353  # "PICS"


class TranslatingPool(ConnectionPool):
    """A pool whose connections turn a lost or unreachable database into ``DatabaseUnavailable``.

    Every repository reads and writes through ``connection()``, so this is the one place where
    psycopg's operational errors (a connection dropped by a restart, a server that refuses us) and
    the pool's timeout become the transient error the policy retries. Other psycopg errors (a
    constraint, bad data) are not the database being away: they pass as they are.
    """

    @contextmanager
    def connection(self, timeout: float | None = None) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection, as ``ConnectionPool.connection``, with the database's absence translated."""
        try:
            with super().connection(timeout=timeout) as conn:
                yield conn
        except (psycopg.OperationalError, PoolTimeout) as away:
            raise DatabaseUnavailable(f"the database is unavailable: {type(away).__name__}") from None


def open_pool(url: str, *, max_size: int = 8) -> ConnectionPool:
    """A connection pool that is open and has proved it can connect."""
    # Autocommit: a lone read is one round trip, not BEGIN, query and COMMIT; whatever must be atomic
    # says so with ``conn.transaction()``.
    pool = TranslatingPool(url, min_size=1, max_size=max_size, open=False, kwargs={"autocommit": True})
    try:
        pool.open(wait=True, timeout=15)
    except Exception as unreachable:
        raise DatabaseUnavailable(f"cannot connect to the database: {type(unreachable).__name__}") from None
    return pool


def migration_files() -> list[tuple[str, str]]:
    """(name, SQL) of every migration shipped with sync_core, in the order they apply."""
    folder = resources.files("sync_core") / "migrations"
    names = sorted(f.name for f in folder.iterdir() if f.name.endswith(".sql"))
    return [(name, (folder / name).read_text(encoding="utf-8")) for name in names]


def migrate(url: str) -> list[str]:
    """Apply the migrations not yet applied; returns the names applied now."""
    with _connect(url) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK,))
        try:
            conn.execute("CREATE SCHEMA IF NOT EXISTS sync")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS sync.schema_migrations"
                " (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {row[0] for row in conn.execute("SELECT name FROM sync.schema_migrations")}
            return [name for name, sql in migration_files() if name not in done and _apply(conn, name, sql)]
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK,))


def _connect(url: str) -> psycopg.Connection[tuple[object, ...]]:
    """One connection; a URL psycopg cannot read is a ``ConfigurationError``, a server it cannot reach
    ``DatabaseUnavailable``. Neither repeats psycopg's message: it may quote the URL with its password."""
    try:
        return psycopg.connect(url, autocommit=True)
    except psycopg.ProgrammingError:
        raise ConfigurationError("PICS_SYNC_DATABASE_URL: not a PostgreSQL URL or connection string") from None
    except psycopg.OperationalError as away:
        where = mask_url(url)
        raise DatabaseUnavailable(f"cannot connect to the database {where}: {type(away).__name__}") from None


def _apply(conn: psycopg.Connection[tuple[object, ...]], name: str, sql: str) -> bool:
    with conn.transaction():
        conn.execute(sql.encode())
        conn.execute("INSERT INTO sync.schema_migrations (name) VALUES (%s)", (name,))
    return True
