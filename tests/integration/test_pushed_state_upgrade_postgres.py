"""Migration 007 on the real PostgreSQL: the pushed-state hashes of v1 become v2's, kept per field (X1 v2).

Contract: v1 kept one hash per SA record and set of field names (``learner:<id>#email,surname``), v2
one per field (``learner:<id>#email``). Upgrading deletes every key naming several fields, which v2
never reads again, and keeps every one-field key, which means the same in both versions.
"""

from __future__ import annotations

import psycopg
import pytest

from sandbox.stack.local import Stack
from sandbox.stack.postgres import fresh_database
from sync_core.state.database import migrate

pytestmark = pytest.mark.integration

MIGRATION = "007_pushed_state_per_field.sql"
V1_KEYS = ("learner:g1#email,surname", "enrolment:5#plannedEndDate,startDate")
V2_KEYS = ("learner:g1#email", "employer:3#name", "assessor:8#email")


def test_007_drops_the_multi_field_keys_and_keeps_the_per_field_ones(stack: Stack) -> None:
    """X1 v2: re-running 007 deletes `learner:g1#email,surname` (and every key naming several fields) and keeps `learner:g1#email`."""
    url = fresh_database(stack.database_url)
    with psycopg.connect(url, autocommit=True) as conn:
        for n, resource in enumerate(V1_KEYS + V2_KEYS):
            conn.execute("INSERT INTO sync.pushed_state (sa_resource, hash) VALUES (%s, %s)", (resource, f"h{n}"))
        conn.execute("DELETE FROM sync.schema_migrations WHERE name = %s", (MIGRATION,))
    assert migrate(url) == [MIGRATION]
    with psycopg.connect(url) as conn:
        kept = dict(conn.execute("SELECT sa_resource, hash FROM sync.pushed_state").fetchall())
        recorded = conn.execute("SELECT count(*) FROM sync.schema_migrations WHERE name = %s", (MIGRATION,)).fetchone()
    assert kept == {resource: f"h{n}" for n, resource in enumerate(V1_KEYS + V2_KEYS) if resource in V2_KEYS}
    assert recorded == (1,)
    assert migrate(url) == []
