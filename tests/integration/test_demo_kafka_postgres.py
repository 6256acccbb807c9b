"""`pics-sync demo` on the session's broker, database and sandbox: its oracle, written from DOMAIN.md, checks it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from consumers.cli import main
from sandbox.stack.local import Stack
from sandbox.stack.postgres import fresh_database

pytestmark = pytest.mark.integration
# The hand-edits profile's edits under every push: email, employer, learner assessor, course status, course
# assessor, an enrolment deleted, the employer's and the assessor's phone (sandbox.demo.hand_edits).
HAND_EDITS = 8


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
    printed = capsys.readouterr()
    assert printed.out.strip(), printed.err[-2000:]  # a demo that stopped says why on stderr
    return code, json.loads(printed.out.strip().splitlines()[-1])


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
    drift = {k: v for k, v in figures.items() if k.startswith(("drift_", "reconcile_", "hand_"))}
    # D1: each learner the pull read is compared with SA; D3: the run's report is exactly the demo's own list.
    assert figures["reconcile_requested"] == figures["pull_learners_eligible_expected"], (name, drift)
    assert (figures["drift_missing"], figures["drift_unexpected"], figures["reconcile_events_parked"]) == (0, 0, 0), (
        name,
        examples,
    )
    assert figures["drift_found"] == figures["drift_repaired"] == figures["drift_expected"], (name, drift)
    assert figures["hand_edited_fields_wrong"] == 0, (name, examples)
    assert figures["passed"], name


def test_demo_ends_as_domain_says(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """all-push (the default): SA and then PICS as the oracle expects; each case of the rich world met; the daily
    run compares every eligible learner and, with no hand edit in SA, its drift report is empty (D1, D3); exit 0."""
    code, result = demo(stack, monkeypatch, capsys, "--learners", "40", "--events", "300")
    assert list(result["profiles"]) == ["all-push"]
    assert_right("all-push", result["profiles"]["all-push"])
    assert (result["drift_found"], result["drift_repaired"]) == (0, 0)  # on the summary's top level
    assert result["reconcile_requested"] == result["pull_learners_read"] > 0
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
    assert list(profiles) == ["all-push", "all-none", "pull-modes", "mixed", "quiet", "hand-edits"]
    for name, figures in profiles.items():
        assert_right(name, figures)
    drift = {name: (figures["drift_found"], figures["drift_repaired"]) for name, figures in profiles.items()}
    for name in ("all-push", "all-none", "mixed", "quiet"):  # no hand edit in SA: nothing to find (D1)
        assert drift[name] == (0, 0), drift
    assert drift["hand-edits"] == (HAND_EDITS, HAND_EDITS)  # each edit found and repaired (D1, D2)
    assert set(profiles["pull-modes"]["drift_by_action"]) <= {"pulled"}  # SA wins there: only pulls (P7, P9-P11)
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


def test_every_hand_edit_of_sa_is_found_and_repaired_by_the_daily_run(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """D1, D2, D3: SA edited by hand where PICS wins (a pushed field, links, a course's status and assessor, an
    enrolment deleted, the employer's and assessor's details): the run's report names each edit, repaired, and
    nothing else; SA then holds PICS's values again; exit 0."""
    code, result = demo(stack, monkeypatch, capsys, "--profile", "hand-edits", "--learners", "30", "--events", "200")
    figures = result["profiles"]["hand-edits"]
    assert_right("hand-edits", figures)
    assert figures["hand_edits"] == figures["drift_found"] == figures["drift_repaired"] == HAND_EDITS
    assert figures["drift_by_action"] == {"enrolled": 1, "pushed": HAND_EDITS - 1}
    assert code == 0
