"""Integration settings (S1, S3–S17) stored by PICS name in ``sync.settings``."""

from __future__ import annotations

from collections.abc import Mapping

from psycopg_pool import ConnectionPool

from sync_core import settings
from sync_core.settings import IntegrationSettings


class SettingsRepository:
    """Reads and changes the integration settings."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def stored(self) -> dict[str, str]:
        """The values an operator has set, by PICS name (defaults are not stored)."""
        with self._pool.connection() as conn:
            return {name: value for name, value in conn.execute("SELECT name, value FROM sync.settings")}

    def review_types(self) -> dict[str, str]:
        """S17: SA session type → PICS Review Type."""
        with self._pool.connection() as conn:
            rows = conn.execute("SELECT sa_session_type, pics_review_type FROM sync.review_type_map")
            return {sa_type: pics_type for sa_type, pics_type in rows}

    def load(self) -> IntegrationSettings:
        """The settings in force."""
        return settings.build(self.stored(), self.review_types())

    def set(self, name_or_id: str, value: str) -> tuple[str, str]:
        """Validate and store one setting; returns (PICS name, stored value).

        S14 is checked against the learner-officer roles PICS holds (v2: PICS's own role names).
        """
        definition = settings.find(name_or_id)
        roles = self.officer_roles() if definition.kind == "role" else None
        text = settings.normalise(definition, value, roles)
        self.set_many({definition.name: text})
        return definition.name, text

    def officer_roles(self) -> list[str]:
        """The learner-officer role names found in PICS's data (S14 v2)."""
        with self._pool.connection() as conn:
            rows = conn.execute("SELECT DISTINCT role FROM pics.learner_officer ORDER BY role").fetchall()
        return [str(row[0]) for row in rows]

    def set_review_types(self, mapping: Mapping[str, str]) -> None:
        """S17: replace the SA session type → PICS Review Type map."""
        with self._pool.connection() as conn, conn.transaction():
            conn.execute("DELETE FROM sync.review_type_map")
            conn.cursor().executemany("INSERT INTO sync.review_type_map VALUES (%s, %s)", list(mapping.items()))

    def map_review_type(self, sa_session_type: str, pics_review_type: str | None) -> None:
        """S17: map one SA session type to a PICS Review Type, or unmap it (None)."""
        with self._pool.connection() as conn:
            if pics_review_type is None:
                conn.execute("DELETE FROM sync.review_type_map WHERE sa_session_type = %s", (sa_session_type,))
                return
            conn.execute(
                "INSERT INTO sync.review_type_map VALUES (%s, %s)"
                " ON CONFLICT (sa_session_type) DO UPDATE SET pics_review_type = EXCLUDED.pics_review_type",
                (sa_session_type, pics_review_type),
            )

    def set_many(self, values: Mapping[str, str]) -> None:
        """Store several already-normalised values at once.

        X1 v2: a change of a setting that decides what is pushed forgets what SA holds from us for
        the record kinds it governs (``Definition.pushes``), in the same transaction, so the next push
        of each such record sends every field the settings now push.
        """
        with self._pool.connection() as conn, conn.transaction():
            before: dict[str, str] = dict(conn.execute("SELECT name, value FROM sync.settings FOR UPDATE").fetchall())
            conn.cursor().executemany(
                "INSERT INTO sync.settings (name, value) VALUES (%s, %s)"
                " ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, changed_at = now()",
                list(values.items()),
            )
            stale = settings.stale_kinds(before, values)
            if stale:
                prefixes = [f"{kind}:%" for kind in sorted(stale)]
                conn.execute("DELETE FROM sync.pushed_state WHERE sa_resource LIKE ANY(%s)", (prefixes,))
