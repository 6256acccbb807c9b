"""Writes the simulated PICS world to the PICS stand-in tables, and reads back what the sync wrote."""

from __future__ import annotations

from collections.abc import Iterable

from psycopg_pool import ConnectionPool

from sandbox.pics.world import World
from sync_core.pics.learners import LearnerRepository
from sync_core.pics.tables import PicsTables

# Ids the sync writes back to PICS (U2, U3, U8): a save must never overwrite them.
_WRITTEN_BACK = ("additional_id",)


class PicsStore:
    """Saves after-images as PICS rows."""

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool, self.tables, self.learners = pool, PicsTables(pool), LearnerRepository(pool)

    def save_organisations(self, world: World, idents: Iterable[str]) -> None:
        """Organisation rows for these ids."""
        rows = [{**world.organisations[o], "id": o} for o in idents]
        self.tables.upsert("organisation", rows, keep=_WRITTEN_BACK)

    def save_officers(self, world: World, idents: Iterable[str]) -> None:
        """Officer rows for these ids."""
        self.tables.upsert("officer", [{**world.officers[o], "id": o} for o in idents], keep=_WRITTEN_BACK)

    def save_learners(self, world: World, idents: Iterable[str]) -> None:
        """Learner rows with their placement, officers by role and qualifications."""
        idents = list(idents)
        self.learners.upsert(
            [{**world.learners[i], "placement_organisation_id": world.placement[i]} for i in idents],
            keep=("smart_assessor_id",),
        )
        roles = [{"learner_ident": i, "role": r, "officer_id": o} for i in idents for r, o in world.roles[i].items()]
        with self.pool.connection() as conn:  # a role given up is gone from PICS
            conn.execute("DELETE FROM pics.learner_officer WHERE learner_ident = ANY(%s)", (idents,))
        self.tables.upsert("learner_officer", roles)
        self.tables.upsert("learner_qualification", [
            {**q, "id": q["qualification_id"], "learner_ident": i,
             "assessor_id": q["assessor"]["officer_id"] if q["assessor"] else None}
            for i in idents for q in world.qualifications[i]
        ])  # fmt: skip

    def save_all(self, world: World) -> None:
        """Every record of the world."""
        self.save_organisations(world, world.organisations)
        self.save_officers(world, world.officers)
        self.save_learners(world, world.learners)

    def written_back(self, prefix: str) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
        """SA ids the sync wrote to PICS: (learners, organisations, officers) by PICS id."""
        learners = {
            r["learner_ident"]: r["smart_assessor_id"]
            for r in self.learners.with_prefix(prefix)
            if r["smart_assessor_id"]
        }
        orgs = {r["id"]: r["additional_id"] for r in self.tables.rows("organisation", prefix) if r["additional_id"]}
        officers = {r["id"]: r["additional_id"] for r in self.tables.rows("officer", prefix) if r["additional_id"]}
        return learners, orgs, officers
