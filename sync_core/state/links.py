"""PICS id ↔ SA id links per entity (learner, employer, assessor, course enrolment)."""

from __future__ import annotations

from psycopg_pool import ConnectionPool

from sync_core.lru import Lru

CACHE_SIZE = 10_000  # links remembered when the caller names no size (PICS_SYNC_LINKS_CACHE_SIZE sets it)
# SA numbers enrolments afresh after a restore from an older backup, so an id a lost enrolment of one
# qualification was linked by may come back naming another's (D7): the new link takes it over. Learners'
# ids are GUIDs, so a second PICS learner claiming one stays an error (the unique index, migration 012).
_IDS_SA_GIVES_AGAIN = frozenset({"enrolment"})
_TAKE_OVER = "DELETE FROM sync.links WHERE entity = %s AND sa_id = %s AND pics_id <> %s RETURNING pics_id"
_UPSERT = (
    "INSERT INTO sync.links (entity, pics_id, sa_id) VALUES (%s, %s, %s)"
    " ON CONFLICT (entity, pics_id) DO UPDATE SET sa_id = EXCLUDED.sa_id"
)


class LinkRepository:
    """Reads and writes ``sync.links``, remembering up to ``cache_size`` of the links it has seen.

    A link names the same SA record until SA loses it (D7: deleted by hand, SA restored from an older
    backup), and then the process that finds that out links again here, so remembering found links is
    safe: another process's memory of a lost link costs it one "not found" before it looks again. An
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
        """Record the link; linking the same pair again is a no-op. An enrolment's id another PICS
        qualification was linked by is that one's no longer (its link is dropped, in one transaction)."""
        if self._known.get((entity, pics_id)) == sa_id:
            return  # already stored: we read it from, or wrote it to, the table
        stale: list[tuple[str]] = []
        with self._pool.connection() as conn:
            if entity not in _IDS_SA_GIVES_AGAIN:
                conn.execute(_UPSERT, (entity, pics_id, sa_id))
            else:
                with conn.transaction():  # the pool's connections autocommit: the takeover and the link at once
                    stale = conn.execute(_TAKE_OVER, (entity, sa_id, pics_id)).fetchall()
                    conn.execute(_UPSERT, (entity, pics_id, sa_id))
        for (other,) in stale:
            self._known.forget((entity, other))
        self._known.put((entity, pics_id), sa_id)
