"""The HMAC key of the pushed-state hashes (X1): ``PICS_SYNC_HASH_KEY``, or one kept in ``sync.hash_key``.

With the variable set (from a secret), a copy of the database alone cannot be used to guess what was
pushed. Unset, a random key is generated on the first start and stored in ``sync.hash_key``
(migration 009), the same for every process of the deployment: that keeps ``sync.pushed_state`` from
giving values away on its own (an export, a log of it), but not from someone who reads both tables.
Changing the key is safe: no stored hash matches any more, so each field is pushed once again.
"""

from __future__ import annotations

import secrets

from psycopg_pool import ConnectionPool
from pydantic import SecretStr

KEY_BYTES = 32


def hash_key(pool: ConnectionPool, configured: SecretStr | None) -> bytes:
    """``configured`` if set; else the stored key, generated and stored first if there is none (two
    processes starting at once agree: the first insert wins, both read it back)."""
    if configured is not None:
        return configured.get_secret_value().encode()
    with pool.connection() as conn:
        conn.execute(
            "INSERT INTO sync.hash_key (key) VALUES (%s) ON CONFLICT (id) DO NOTHING", (secrets.token_bytes(KEY_BYTES),)
        )
        row = conn.execute("SELECT key FROM sync.hash_key").fetchone()
    assert row is not None
    return bytes(row[0])
