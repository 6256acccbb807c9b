"""Learners ready for a daily pull: in the SA sandbox with a course and activity, and in PICS, eligible."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from psycopg_pool import ConnectionPool

from sandbox.sa.process import SaSandboxProcess
from sync_core.pics.learners import LearnerRepository
from sync_core.pics.tables import PicsTables
from sync_core.state.settings_repo import SettingsRepository

REVIEW_TYPES = {"Formal Review": "Progress Review", "Gateway Ready": "Gateway Review"}
PULL_SETTINGS = {"Integration Enabled": "on", "Update PICS Risk using Smart Coach Score": "on"}


def seed_pull_learners(
    pool: ConnectionPool,
    sa: SaSandboxProcess,
    count: int,
    prefix: str,
    *,
    review_types: Mapping[str, str] = REVIEW_TYPES,
) -> list[dict[str, Any]]:
    """``count`` eligible learners (Live, in learning, in SA), S1 and S5 on, two session types mapped."""
    created = sa.bulk_learners(count, prefix, seed=11)
    learners = [
        {"learner_ident": c["misId"], "first_name": "A", "surname": "B", "system_status": "Live",
         "programme_status": "In Learning", "smart_assessor_id": c["id"]}
        for c in created
    ]  # fmt: skip
    LearnerRepository(pool).upsert(learners)
    courses = [
        {"id": f"{c['misId']}-Q1", "learner_ident": c["misId"], "qualification_reference": "60305735"} for c in created
    ]
    PicsTables(pool).upsert("learner_qualification", courses)
    settings = SettingsRepository(pool)
    settings.set_many(PULL_SETTINGS)
    settings.set_review_types(review_types)
    return learners
