"""`pics-sync demo` on the session's broker, database and sandbox: its oracle, written from DOMAIN.md, checks it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from consumers.cli import main
from sandbox.stack.local import Stack
from sandbox.stack.postgres import fresh_database

pytestmark = pytest.mark.integration


def demo(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str
) -> tuple[int, dict[str, Any]]:
    """The demo in this process on the session's broker and a fresh database, with a sandbox of its own; its summary."""
    assert stack.sa is not None
    monkeypatch.setenv("PICS_SYNC_KAFKA_BOOTSTRAP_SERVERS", stack.kafka_bootstrap)
    monkeypatch.setenv("PICS_SYNC_DATABASE_URL", fresh_database(stack.database_url))
    for name in ("PICS_SYNC_SA_BASE_URL", "PICS_SYNC_SA_USERNAME", "PICS_SYNC_SA_PASSWORD", "PICS_SYNC_SA_CLIENT_KEY"):
        monkeypatch.delenv(name, raising=False)  # the demo starts its own sandbox, so it can simulate activity
    code = main(["demo", *argv, "--json"])
    return code, json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def assert_right(name: str, figures: dict[str, Any]) -> None:
    """One profile's verdict, figure by figure: SA and PICS as DOMAIN says, every event where the rules put it."""
    examples = figures.get("mismatch_examples", figures.get("error"))
    pulls = {k: figures.get(k) for k in ("pull_learners_eligible", "pull_learners_read", "pull_events_parked")}
    # First: a learner the pull could not read shows as that, not as its pulled fields gone missing.
    assert figures["pull_learners_read"] == figures["pull_learners_eligible_expected"] > 0, (name, pulls)
    assert (figures["field_mismatches"], figures["sa_duplicate_records"], figures["pics_mismatches"]) == (0, 0, 0), (
        name,
        examples,
        pulls,
    )
    assert (figures["events_parked"], figures["events_skipped_unexpected"], figures["events_applied_unexpected"]) == (
        0,
        0,
        0,
    ), (name, examples)
    applied = figures["events_applied"] + figures["duplicates_skipped"] + figures["events_skipped_expected"]
    assert applied == figures["events_produced"], name
    assert figures["sa_learners_matching_pics"] == figures["sa_learners_total"] > 0, name
    assert figures["fields_checked"] > 20 * figures["sa_learners_total"] and figures["pics_checked"] > 0, name
    assert figures["passed"], name


def test_demo_ends_as_domain_says(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """all-push (the default): SA and then PICS as the oracle expects; each case of the rich world met; exit 0."""
    code, result = demo(stack, monkeypatch, capsys, "--learners", "40", "--events", "300")
    assert list(result["profiles"]) == ["all-push"]
    assert_right("all-push", result["profiles"]["all-push"])
    assert result["pics_learners"] == 40 and result["sa_learners_total"] == 36  # 2 never uploaded, 2 never Live
    assert result["events_produced"] >= 340 and result["sa_calls"]["create learner"] == 36
    cases = result["cases"]
    for case in ("edited before upload (X2)", "never uploaded (X2)", "skipped: not live (Y2)", "closed at upload (U5)",
                 "aim closed late (A1, Y2)", "officers changed (Q1)"):  # fmt: skip
        assert cases.get(case, 0) > 0, (case, cases)
    assert result["sa_overnight"]["assessors_added_by_hand"] == 1 and "groupSessions" in result["sa_overnight"]
    assert result["pull_events"] > result["pull_learners_read"] and result["pics_rows_changed"] > 0
    assert code == 0


def test_every_profile_ends_as_domain_says(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--profile all: each profile on its own topics, group, prefix and database, each right by its own settings."""
    code, result = demo(stack, monkeypatch, capsys, "--profile", "all", "--learners", "30", "--events", "200")
    profiles = result["profiles"]
    assert list(profiles) == ["all-push", "all-none", "pull-modes", "mixed", "quiet"]
    for name, figures in profiles.items():
        assert_right(name, figures)
    skipped = {name: figures["skipped_expected_by_rule"] for name, figures in profiles.items()}
    assert skipped["all-none"].get("L5 nothing pushed under the settings", 0) > 0  # S6 = None: edits stay in PICS
    assert skipped["all-none"].get("E1 off", 0) > 0 and skipped["mixed"].get("E1 off", 0) > 0  # S13 off
    assert (
        skipped["quiet"].get("S1 integration disabled", 0) > 0 and "S1 integration disabled" not in skipped["all-push"]
    )
    assert (
        profiles["pull-modes"]["sa_calls"].get("create learner") == profiles["all-push"]["sa_calls"]["create learner"]
    )
    assert result["events_produced"] == profiles["all-push"]["events_produced"]  # the top level is all-push's
    assert code == 0
