"""Migrations on the real PostgreSQL: applied in order, once, and recorded."""

from __future__ import annotations

import psycopg
import pytest

from sandbox.stack.local import Stack
from sandbox.stack.postgres import fresh_database
from sync_core.state.database import migrate, migration_files

pytestmark = pytest.mark.integration


def test_migrations_apply_once_and_are_recorded(stack: Stack) -> None:
    """A migrated database records every file; migrating again applies nothing."""
    url = fresh_database(stack.database_url)
    with psycopg.connect(url) as conn:
        recorded = [row[0] for row in conn.execute("SELECT name FROM sync.schema_migrations ORDER BY name")]
        schemas = {row[0] for row in conn.execute("SELECT schema_name FROM information_schema.schemata")}
    assert recorded == [name for name, _sql in migration_files()]
    assert {"sync", "pics"} <= schemas
    assert migrate(url) == []
