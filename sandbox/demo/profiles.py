"""The demo's settings profiles: PICS's exact setting names and values, written out per profile.

Each profile runs on its own topic prefix, record prefix, consumer group and database, so ``--profile
all`` runs them one after another on one stack. The oracle (``oracle_tables.Settings``) reads these same
literal dicts; it never asks the product how it parsed them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sandbox.demo.oracle_tables import PULL, PUSH, Settings

# Every push on, so every rule has work to do (the demo's settings before profiles).
ALL_PUSH: Mapping[str, str] = {
    "Integration Enabled": "on",
    "Send Learner Welcome Email": "on",
    "Set Student ID to LRN": "on",
    "Update PICS Risk using Smart Coach Score": "on",
    "Update Learner Demographics Mode": PUSH,
    "Update Learner Gender": "on",
    "Update Learner Ethnicity": "on",
    "Send Learner Disability": "on",
    "Update Officer Demographics Mode": PUSH,
    "Update Organisation Demographics Mode": PUSH,
    "Push Changes to Learner Employer": "on",
    "Qualification Second Assessor Role": "IQA",
    "Push Changes to Qualification Assessors": "on",
    "Update Qualification Dates Mode": PUSH,
}
# Nothing pushed that a setting can hold back: SA keeps what the upload sent (U1), and no risk is pulled.
ALL_NONE: Mapping[str, str] = {
    "Integration Enabled": "on",
    "Send Learner Welcome Email": "off",
    "Set Student ID to LRN": "off",
    "Update PICS Risk using Smart Coach Score": "off",
    "Update Learner Demographics Mode": "None",
    "Update Learner Gender": "off",
    "Update Learner Ethnicity": "off",
    "Send Learner Disability": "off",
    "Update Officer Demographics Mode": "None",
    "Update Organisation Demographics Mode": "None",
    "Push Changes to Learner Employer": "off",
    "Qualification Second Assessor Role": "none",
    "Push Changes to Qualification Assessors": "off",
    "Update Qualification Dates Mode": PUSH,
}
# SA wins for learner, officer, organisation and qualification dates; ULN still goes out (L2 v2).
PULL_MODES: Mapping[str, str] = {
    "Integration Enabled": "on",
    "Send Learner Welcome Email": "off",
    "Set Student ID to LRN": "off",
    "Update PICS Risk using Smart Coach Score": "on",
    "Update Learner Demographics Mode": PULL,
    "Update Learner Gender": "on",
    "Update Learner Ethnicity": "on",
    "Send Learner Disability": "on",
    "Update Officer Demographics Mode": PULL,
    "Create Users for Officers in ASSO": "on",
    "Update Organisation Demographics Mode": PULL,
    "Push Changes to Learner Employer": "on",
    "Qualification Second Assessor Role": "none",
    "Push Changes to Qualification Assessors": "off",
    "Update Qualification Dates Mode": PULL,
}
# Employer changes held back, assessors pushed with a provider's own second-assessor role (S14 v2).
MIXED: Mapping[str, str] = {
    "Integration Enabled": "on",
    "Send Learner Welcome Email": "on",
    "Set Student ID to LRN": "on",
    "Update PICS Risk using Smart Coach Score": "on",
    "Update Learner Demographics Mode": PUSH,
    "Update Learner Gender": "on",
    "Update Learner Ethnicity": "off",
    "Send Learner Disability": "off",
    "Update Officer Demographics Mode": "None",
    "Update Organisation Demographics Mode": PUSH,
    "Push Changes to Learner Employer": "off",
    "Qualification Second Assessor Role": "Skills Coach",
    "Push Changes to Qualification Assessors": "on",
    "Update Qualification Dates Mode": PUSH,
}
# Three session types imported as reviews (S17), in every profile.
REVIEW_TYPES: Mapping[str, str] = {
    "Formal Review": "Progress Review",
    "Gateway Ready": "Gateway Review",
    "Induction": "Induction Review",
}


@dataclass(frozen=True)
class Profile:
    """One run's settings; whether S1 is switched off for the middle third of the stream; whether SA's night
    leaves details blank (P13: only where every field it blanks is pulled, so nothing is pushed back, D1);
    whether SA's users edit what PICS owns before the daily run (``hand_edits``, repaired by it: D1, D2)."""

    name: str
    settings: Mapping[str, str]
    seed_offset: int  # each profile its own people, so no two share an employer's EDRS number + postcode
    quiet: bool = False
    review_types: Mapping[str, str] = field(default_factory=lambda: REVIEW_TYPES)
    sa_blanks: bool = False
    hand_edits: bool = False

    @property
    def oracle(self) -> Settings:
        """The settings as the oracle reads them."""
        return Settings(self.settings, self.review_types)


PROFILES: Mapping[str, Profile] = {
    profile.name: profile
    for profile in (
        Profile("all-push", ALL_PUSH, 0),
        Profile("all-none", ALL_NONE, 101),
        Profile("pull-modes", PULL_MODES, 202, sa_blanks=True),
        Profile("mixed", MIXED, 303),
        Profile("quiet", ALL_PUSH, 404, quiet=True),
        Profile("hand-edits", ALL_PUSH, 505, hand_edits=True),  # every push on: PICS wins each edit back
    )
}
DEFAULT_PROFILE = "all-push"


def chosen(name: str) -> list[Profile]:
    """The profiles ``--profile NAME`` runs: one by name, or every one for ``all``."""
    if name == "all":
        return list(PROFILES.values())
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r}; the profiles are: all, {', '.join(PROFILES)}")
    return [PROFILES[name]]
