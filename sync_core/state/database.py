"""Connections and migrations. Migrations are plain SQL files applied in order, tracked in a table.

Every connection is made under ``Limits`` (``PICS_SYNC_DATABASE_*``), so a database that went away,
or a connection whose peer vanished, fails the call in bounded time instead of hanging a thread:

    what goes wrong                              what bounds it
    the server cannot be reached                 ``connect_timeout``
    the peer vanished while the connection is    TCP keepalives
      idle in the pool
    the peer stops acknowledging what we sent    ``tcp_user_timeout`` (else the kernel retransmits
                                                 for ~15 minutes)
    a statement runs too long, or waits too      the server's ``statement_timeout``: it cancels
      long for a lock                            the statement and answers
    the peer acknowledges and never answers      the client: no answer ``ANSWER_GRACE_S`` after the
      (a frozen server, a stuck proxy)           statement timeout drops the connection (``NoAnswer``)

Each ends as ``DatabaseUnavailable``, the transient error the loops' policy retries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from typing import Any, TypeVar

import psycopg
from psycopg.abc import PQGen
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.errors import _WaitTimeout  # what Connection.wait raises when its timeout passes (psycopg >= 3.3)
from psycopg.rows import TupleRow
from psycopg_pool import ConnectionPool, PoolTimeout

from sync_core.config import RuntimeConfig
from sync_core.errors import ConfigurationError, DatabaseUnavailable
from sync_core.redaction import mask_url

# Taken while migrating so two processes starting at once do not both apply a file.
_MIGRATION_LOCK = 0x5049_4353  # "PICS"
# How much longer than the statement timeout we wait for an answer: the server's cancellation is the
# clean end of a slow statement, and it needs a moment to arrive.
ANSWER_GRACE_S = 5.0
_POOL_WAIT_S = 30.0  # psycopg_pool's default wait for a connection
_BAD_URL = "PICS_SYNC_DATABASE_URL: not a PostgreSQL URL or connection string"
RV = TypeVar("RV")


@dataclass(frozen=True)
class Limits:
    """How long the database may take to connect, to run a statement, and to acknowledge what we send."""

    connect_timeout_s: int
    statement_timeout_s: float  # 0: no limit, on the server or here
    tcp_user_timeout_s: float  # 0: the kernel's
    keepalives: bool
    keepalives_idle_s: int
    keepalives_interval_s: int
    keepalives_count: int

    @property
    def answer_within_s(self) -> float | None:
        """How long a connection waits for the server's answer before it is deemed dead (None: for ever)."""
        return self.statement_timeout_s + ANSWER_GRACE_S if self.statement_timeout_s else None

    def libpq(self, *, statements: bool = True) -> dict[str, Any]:
        """The libpq connection parameters; ``statements``: with the server's statement timeout."""
        params: dict[str, Any] = {"connect_timeout": self.connect_timeout_s, "keepalives": int(self.keepalives)}
        if self.keepalives:
            params |= {"keepalives_idle": self.keepalives_idle_s, "keepalives_interval": self.keepalives_interval_s,
                       "keepalives_count": self.keepalives_count}  # fmt: skip
        if self.tcp_user_timeout_s:
            params["tcp_user_timeout"] = round(self.tcp_user_timeout_s * 1000)
        if statements and self.statement_timeout_s:
            params["options"] = f"-c statement_timeout={round(self.statement_timeout_s * 1000)}"
        return params


def limits_of(config: RuntimeConfig) -> Limits:
    """The configured limits (``PICS_SYNC_DATABASE_*``)."""
    return Limits(
        config.database_connect_timeout_s,
        config.database_statement_timeout_s,
        config.database_tcp_user_timeout_s,
        config.database_keepalives,
        config.database_keepalives_idle_s,
        config.database_keepalives_interval_s,
        config.database_keepalives_count,
    )


class NoAnswer(psycopg.OperationalError):
    """The server acknowledged what we sent and gave no answer in time: the connection was dropped."""


class AnsweringConnection(psycopg.Connection[TupleRow]):
    """A connection that waits at most ``answer_within_s`` for each answer of the server.

    psycopg waits on the socket for as long as it takes; TCP sees nothing wrong with a peer that
    acknowledges and never answers. Past the bound the exchange is cut off half-way, so the connection
    is closed (its pool replaces it) and ``NoAnswer`` raised.
    """

    answer_within_s: float | None = None

    def wait(self, gen: PQGen[RV], interval: float = 0.1, timeout: float | None = None) -> RV:
        """``Connection.wait``, bounded by ``answer_within_s`` when the caller sets no timeout of its own."""
        if timeout is not None or self.answer_within_s is None:
            return super().wait(gen, interval, timeout)
        try:
            return super().wait(gen, interval, self.answer_within_s)
        except _WaitTimeout:
            self.close()
            raise NoAnswer(f"no answer within {self.answer_within_s:g} s") from None


class TranslatingPool(ConnectionPool):
    """A pool whose connections turn a lost or unreachable database into ``DatabaseUnavailable``.

    Every repository reads and writes through ``connection()``, so this is the one place where
    psycopg's operational errors (a connection dropped by a restart, a server that refuses us, a
    statement cancelled by its timeout, no answer at all) and the pool's timeout become the transient
    error the policy retries. Other psycopg errors (a constraint, bad data, a program limit such as a
    key too long for its index) are not the database being away: they pass as they are, and park.
    """

    @contextmanager
    def connection(self, timeout: float | None = None) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection, as ``ConnectionPool.connection``, with the database's absence translated."""
        try:
            with super().connection(timeout=timeout) as conn:
                yield conn
        except psycopg.errors.ProgramLimitExceeded:
            raise  # an operational error that no retry mends (a key too long for its index): it parks
        except (psycopg.OperationalError, PoolTimeout) as away:
            # psycopg's messages may quote the server's words or the URL: ours only, else the class.
            why = str(away) if isinstance(away, NoAnswer) else type(away).__name__
            raise DatabaseUnavailable(f"the database is unavailable: {why}") from None


def open_pool(url: str, *, max_size: int = 8, min_size: int = 1, limits: Limits | None = None) -> ConnectionPool:
    """A connection pool that is open and has proved it can connect (``min_size=0``: it connects when used).

    ``limits``: see the module's docstring (``limits_of(config)``); None leaves psycopg's and the kernel's.
    """
    answer = None if limits is None else limits.answer_within_s
    # Waiting for a connection (a free one, or a new one while the database is away) is bounded as an
    # answer is; with no limits, as psycopg_pool's default.
    wait = _POOL_WAIT_S if answer is None else answer
    # Autocommit: a lone read is one round trip, not BEGIN, query and COMMIT; whatever must be atomic
    # says so with ``conn.transaction()``.
    pool = TranslatingPool(
        with_limits(url, limits), connection_class=AnsweringConnection, min_size=min_size,
        max_size=max_size, open=False, kwargs={"autocommit": True}, configure=_answering_within(answer), timeout=wait,
    )  # fmt: skip
    try:
        if min_size:  # One connection first: a database that refuses or is away fails here at once (or
            # within the connect timeout), not after the pool's 15 s of quiet retries (`status`, a probe).
            psycopg.connect(with_limits(url, limits), autocommit=True).close()
        pool.open(wait=True, timeout=15)
    except Exception as unreachable:
        raise DatabaseUnavailable(f"cannot connect to the database: {type(unreachable).__name__}") from None
    return pool


def _answering_within(seconds: float | None) -> Callable[[psycopg.Connection[Any]], None]:
    def configure(conn: psycopg.Connection[Any]) -> None:
        if isinstance(conn, AnsweringConnection):
            conn.answer_within_s = seconds

    return configure


def with_limits(url: str, limits: Limits | None, *, statements: bool = True) -> str:
    """``url`` with the limits' libpq parameters (``statements``: the statement timeout too, joining any
    ``options`` the URL sets; the limits win over the URL's own); a ``ConfigurationError`` for a URL
    psycopg cannot read."""
    try:
        given = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        raise ConfigurationError(_BAD_URL) from None
    if limits is None:
        return url
    params = limits.libpq(statements=statements)
    if "options" in params and given.get("options"):
        params["options"] = f"{given['options']} {params['options']}"
    return make_conninfo(url, **params)


def migration_files() -> list[tuple[str, str]]:
    """(name, SQL) of every migration shipped with sync_core, in the order they apply."""
    folder = resources.files("sync_core") / "migrations"
    names = sorted(f.name for f in folder.iterdir() if f.name.endswith(".sql"))
    return [(name, (folder / name).read_text(encoding="utf-8")) for name in names]


def migrate(url: str, limits: Limits | None = None) -> list[str]:
    """Apply the migrations not yet applied; returns the names applied now.

    Under ``limits`` but their statement timeout: a migration may rewrite a large table, and waits for
    another process's migration to end.
    """
    with _connect(url, limits) as conn:
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


def _connect(url: str, limits: Limits | None) -> psycopg.Connection[tuple[object, ...]]:
    """One connection; a URL psycopg cannot read is a ``ConfigurationError``, a server it cannot reach
    ``DatabaseUnavailable``. Neither repeats psycopg's message: it may quote the URL with its password."""
    conninfo = with_limits(url, limits, statements=False)
    try:
        return psycopg.connect(conninfo, autocommit=True)
    except psycopg.ProgrammingError:
        raise ConfigurationError(_BAD_URL) from None
    except psycopg.OperationalError as away:
        where = mask_url(url)
        raise DatabaseUnavailable(f"cannot connect to the database {where}: {type(away).__name__}") from None


def _apply(conn: psycopg.Connection[tuple[object, ...]], name: str, sql: str) -> bool:
    with conn.transaction():
        conn.execute(sql.encode())
        conn.execute("INSERT INTO sync.schema_migrations (name) VALUES (%s)", (name,))
    return True
