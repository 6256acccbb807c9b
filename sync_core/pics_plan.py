"""Plans for the PICS side: what a pulled SA item changes in PICS, as small frozen values.

The pull rules return these; ``sync_core.execute.pics`` applies them, writing only what differs
(P12). They mirror ``sync_core.plan`` for the push side.

P13 lives here, once: a ``SetPics`` never carries an empty value (None, "" or only spaces), so an
empty SA value never overwrites a PICS value, whichever rule (P7, P9–P11) planned the write.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


def blank(value: Any) -> bool:
    """P13: SA holds no value here (None, or text that is empty or only spaces)."""
    return value is None or (isinstance(value, str) and not value.strip())


@dataclass(frozen=True)
class SetPics:
    """Set the non-empty ``fields`` of one PICS row; empty ones are dropped on construction (P13)."""

    table: str  # learner, learner_qualification, officer, organisation
    key: str  # the row's id (Learner Ident, learner-qualification id, officer id, organisation id)
    fields: Mapping[str, Any]
    # D1, D3: the drift record's kind of record when these fields are a Pull-direction difference (P7,
    # P9-P11): each one this write changes is recorded "pulled". None: SA's own data (progress, hours, risk).
    drift: str | None = None
    sa_resource: str | None = None  # the SA record the values came from ("assessor:<SA id>"), when the item names it

    def __post_init__(self) -> None:
        # Dropped here rather than by each rule, so no pull rule can forget it and the plan (printed
        # by a dry run, compared by tests) shows exactly what will be written.
        object.__setattr__(self, "fields", {name: v for name, v in self.fields.items() if not blank(v)})


@dataclass(frozen=True)
class EnsureOfficerFromSa:
    """P5: the PICS officer of an SA assessor: found (Additional ID, then Email) and linked, else created."""

    assessor: Mapping[str, Any]  # a PulledAssessor
    asso_user: bool  # S11: an officer created here gets an ASSO user


@dataclass(frozen=True)
class UpsertReview:
    """P2–P4: the PICS review of an SA session, matched on its Smart Assessor System ID among the learner's."""

    sa_system_id: str
    learner_ident: str
    on_create: Mapping[str, Any]  # P3
    every_sync: Mapping[str, Any]  # P4; "reviewer_sa_id" names the SA assessor to resolve


PicsStep = SetPics | EnsureOfficerFromSa | UpsertReview
