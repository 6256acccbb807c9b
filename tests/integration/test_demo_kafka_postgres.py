"""`pics-sync demo` on the session's broker, database and sandbox: its summary checks itself."""

from __future__ import annotations

import json

import pytest

from consumers.cli import main
from sandbox.stack.local import Stack
from sandbox.stack.postgres import fresh_database

pytestmark = pytest.mark.integration


def test_demo_ends_in_sync(stack: Stack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Every SA learner matches PICS and every produced event is applied or a skipped duplicate."""
    assert stack.sa is not None
    monkeypatch.setenv("PICS_SYNC_KAFKA_BOOTSTRAP_SERVERS", stack.kafka_bootstrap)
    monkeypatch.setenv("PICS_SYNC_DATABASE_URL", fresh_database(stack.database_url))
    for name in ("PICS_SYNC_SA_BASE_URL", "PICS_SYNC_SA_USERNAME", "PICS_SYNC_SA_PASSWORD", "PICS_SYNC_SA_CLIENT_KEY"):
        monkeypatch.delenv(name, raising=False)  # the demo starts its own sandbox, so it can simulate activity
    code = main(["demo", "--learners", "40", "--events", "300", "--json"])
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["sa_learners_total"] == 40
    assert result["sa_learners_matching_pics"] == result["sa_learners_total"]
    assert (result["sa_duplicate_records"], result["field_mismatches"]) == (0, 0), result["mismatch_examples"]
    assert result["events_applied"] + result["duplicates_skipped"] == result["events_produced"] >= 340
    assert result["sa_calls"]["create learner"] == 40 and result["sa_calls"]["update employer"] > 0
    assert result["pull_learners_read"] == result["pull_learners_eligible"] > 0
    assert result["pull_events"] > result["pull_learners_read"] and result["pics_rows_changed"] > 0
    assert result["pics_mismatches"] == 0
    assert code == 0
