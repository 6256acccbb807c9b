"""Plans for the PICS side: what a pulled SA item changes in PICS, as small frozen values.

The pull rules return these; ``sync_core.execute.pics`` applies them, writing only what differs
(P12). They mirror ``sync_core.plan`` for the push side.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SetPics:
    """Set fields of one PICS row; ``fill`` fields only where PICS holds none (P1's Total Elements)."""

    table: str  # learner, learner_qualification, officer, organisation
    key: str  # the row's id (Learner Ident, learner-qualification id, officer id, organisation id)
    fields: Mapping[str, Any]
    fill: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EnsureOfficerFromSa:
    """P5: the PICS officer linked to an SA assessor, created from it when PICS has none."""

    assessor: Mapping[str, Any]  # a PulledAssessor
    asso_user: bool  # S11: the new officer gets an ASSO user


@dataclass(frozen=True)
class UpsertReview:
    """P2–P4: the PICS review of an SA session, matched on its Smart Assessor System ID."""

    sa_system_id: str
    learner_ident: str
    on_create: Mapping[str, Any]  # P3
    every_sync: Mapping[str, Any]  # P4; "reviewer_sa_id" names the SA assessor to resolve


PicsStep = SetPics | EnsureOfficerFromSa | UpsertReview
