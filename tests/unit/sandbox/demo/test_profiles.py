"""The demo's settings profiles: PICS's exact setting names, values the product accepts, each profile's point."""

from __future__ import annotations

import pytest

from sandbox.demo.oracle_tables import DEFAULTS, PULL, PUSH
from sandbox.demo.profiles import PROFILES, chosen
from sync_core.settings import build


@pytest.mark.parametrize("name", list(PROFILES))
def test_each_profile_names_pics_settings_the_product_accepts(name: str) -> None:
    """S1–S17: every name is PICS's, every value one the product's settings take (S14 v2: PICS's own roles)."""
    profile = PROFILES[name]
    assert set(profile.settings) <= set(DEFAULTS)
    build(profile.settings, profile.review_types)


def test_the_profiles_are_the_issue_s() -> None:
    """all-push, all-none, pull-modes, mixed and quiet, each set as #13 asks; ``all`` runs every one."""
    oracle = {name: profile.oracle for name, profile in PROFILES.items()}
    assert oracle["all-push"].mode("Update Learner Demographics Mode") == PUSH and oracle["all-push"].on(
        "Send Learner Disability"
    )
    none = oracle["all-none"]
    assert {
        none.mode(m)
        for m in (
            "Update Learner Demographics Mode",
            "Update Officer Demographics Mode",
            "Update Organisation Demographics Mode",
        )
    } == {"None"}
    assert not any(
        none.on(s)
        for s in (
            "Push Changes to Learner Employer",
            "Push Changes to Qualification Assessors",
            "Set Student ID to LRN",
            "Update Learner Gender",
        )
    )
    pulls = oracle["pull-modes"]
    assert {
        pulls.mode(m)
        for m in (
            "Update Learner Demographics Mode",
            "Update Officer Demographics Mode",
            "Update Organisation Demographics Mode",
            "Update Qualification Dates Mode",
        )
    } == {PULL}
    mixed = oracle["mixed"]
    assert (
        mixed.second_role == "Skills Coach"
        and mixed.on("Push Changes to Qualification Assessors")
        and not mixed.on("Push Changes to Learner Employer")
    )
    assert PROFILES["quiet"].quiet and [p.name for p in chosen("all")] == list(PROFILES)
    with pytest.raises(ValueError, match="unknown profile"):
        chosen("loud")
