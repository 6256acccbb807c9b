"""Migration 009 and the X1 hash key on the real PostgreSQL.

Contract: 009 creates ``sync.hash_key`` and deletes the unkeyed pushed-state hashes (they can be
neither rehashed nor matched), so the next push of each field goes out once. Without
``PICS_SYNC_HASH_KEY`` the first start generates a key and stores it, and every later start (every
process) uses that one; with it set, the variable's key is used and nothing is stored.
"""

from __future__ import annotations

import hashlib

import psycopg
import pytest
from pydantic import SecretStr

from consumers.service import open_service
from sandbox.stack.local import Stack
from sandbox.stack.postgres import fresh_database
from sync_core.config import RuntimeConfig
from sync_core.execute.executor import content_hash
from sync_core.state.database import migrate, open_pool
from sync_core.state.hash_key import hash_key

pytestmark = pytest.mark.integration

MIGRATION = "009_hash_key.sql"
KEY = "a-deployment-hash-key-of-32-chars-or-more"


def test_009_creates_the_key_table_and_forgets_the_unkeyed_hashes(stack: Stack) -> None:
    """X1 keyed: a database at 008 with plain SHA-256 hashes comes out of 009 with none, and a table for the key."""
    url = fresh_database(stack.database_url)
    unkeyed = hashlib.sha256(b'{"disability":"Y"}').hexdigest()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE sync.hash_key")
        conn.execute("DELETE FROM sync.schema_migrations WHERE name = %s", (MIGRATION,))
        conn.execute(
            "INSERT INTO sync.pushed_state (sa_resource, hash) VALUES ('learner:g1#disability', %s)", (unkeyed,)
        )
    assert migrate(url) == [MIGRATION]
    with psycopg.connect(url) as conn:
        left = conn.execute("SELECT count(*) FROM sync.pushed_state").fetchone()
        keys = conn.execute("SELECT count(*) FROM sync.hash_key").fetchone()
    assert (left, keys) == ((0,), (0,))
    assert migrate(url) == []


def test_the_first_start_stores_a_key_every_later_one_reuses(stack: Stack) -> None:
    """Unset, the key is generated once and read back by every pool; set, the variable's key wins and none is stored."""
    url = fresh_database(stack.database_url)
    with open_pool(url, max_size=2) as first, open_pool(url, max_size=2) as second:
        generated = hash_key(first, None)
        assert len(generated) == 32 and hash_key(second, None) == generated == hash_key(first, None)
    fresh = fresh_database(stack.database_url)
    with open_pool(fresh, max_size=2) as pool:
        assert hash_key(pool, SecretStr(KEY)) == KEY.encode()
        with pool.connection() as conn:
            assert conn.execute("SELECT count(*) FROM sync.hash_key").fetchone() == (0,)


def test_the_service_hashes_with_the_configured_or_stored_key(stack: Stack, config: RuntimeConfig) -> None:
    """open_service gives the executor the stored key, or PICS_SYNC_HASH_KEY's when it is set."""
    with open_service(config) as service:
        with service.pool.connection() as conn:
            row = conn.execute("SELECT key FROM sync.hash_key").fetchone()
        assert row is not None and service.ports.execution.hash_key == bytes(row[0])
        lone = content_hash({"disability": "Y"}, service.ports.execution.hash_key)  # what pushed_state would hold
        assert lone != hashlib.sha256(b'{"disability":"Y"}').hexdigest()  # not guessable without the key
    with open_service(config.model_copy(update={"hash_key": SecretStr(KEY)})) as service:
        assert service.ports.execution.hash_key == KEY.encode()
