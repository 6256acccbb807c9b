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


def test_006_reviews_are_unique_per_learner_and_runs_count_dropped_items(stack: Stack) -> None:
    """006 (P2 v2, P14): two learners may each hold a review of one SA session, one learner not twice; a run counts drops."""
    url = fresh_database(stack.database_url)
    review = "INSERT INTO pics.review (review_ident, learner_ident, smart_assessor_system_id) VALUES (%s, %s, '20001')"
    with psycopg.connect(url, autocommit=True) as conn:
        for ident in ("L1", "L2"):
            conn.execute(
                "INSERT INTO pics.learner (learner_ident, first_name, surname) VALUES (%s, 'A', 'B')", (ident,)
            )
        conn.execute(review, ("r1", "L1"))
        conn.execute(review, ("r2", "L2"))
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute(review, ("r3", "L1"))
        conn.execute("INSERT INTO sync.pull_runs (run_date) VALUES (current_date)")
        counts = conn.execute("SELECT items_dropped, dropped_reasons FROM sync.pull_runs").fetchone()
    assert counts == (0, {})
