"""PICS id ↔ SA id links per entity (learner, employer, assessor, course enrolment)."""

from __future__ import annotations

from psycopg_pool import ConnectionPool

from sync_core.lru import Lru

CACHE_SIZE = 10_000  # links remembered when the caller names no size (PICS_SYNC_LINKS_CACHE_SIZE sets it)


class LinkRepository:
    """Reads and writes ``sync.links``, remembering up to ``cache_size`` of the links it has seen.

    A link, once made, names the same SA record for good, so remembering found links is safe; an
    absent link is always asked again, since another worker may make it at any time. The least
    recently used link is forgotten first (one read asks for it again), so memory stays bounded
    however many records PICS holds.
    """

    def __init__(self, pool: ConnectionPool, cache_size: int = CACHE_SIZE) -> None:
        self._pool = pool
        self._known: Lru[tuple[str, str], str] = Lru(cache_size)

    @property
    def remembered(self) -> int:
        """How many links are held in memory now (at most the cache size)."""
        return len(self._known)

    def sa_id(self, entity: str, pics_id: str) -> str | None:
        """The SA id linked to this PICS record, if any."""
        known = self._known.get((entity, pics_id))
        if known is not None:
            return known
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT sa_id FROM sync.links WHERE entity = %s AND pics_id = %s", (entity, pics_id)
            ).fetchone()
        if row is None:
            return None
        self._known.put((entity, pics_id), str(row[0]))
        return str(row[0])

    def link(self, entity: str, pics_id: str, sa_id: str) -> None:
        """Record the link; linking the same pair again is a no-op."""
        if self._known.get((entity, pics_id)) == sa_id:
            return  # already stored: we read it from, or wrote it to, the table
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO sync.links (entity, pics_id, sa_id) VALUES (%s, %s, %s)"
                " ON CONFLICT (entity, pics_id) DO UPDATE SET sa_id = EXCLUDED.sa_id",
                (entity, pics_id, sa_id),
            )
        self._known.put((entity, pics_id), sa_id)
