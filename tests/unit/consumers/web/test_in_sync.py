"""The learner page's in-sync indicator: linked, nothing parked, its last events through, no difference left."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from consumers.web.in_sync import RECONCILES, judge
from consumers.web.queries import LedgerRow
from sync_core.state.drift import DriftRecord

T0 = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)


def row(event_type: str = "LearnerEdited", outcome: str = "applied", reason: str | None = None, minute: int = 0,
        topic: str = "pics.learner", event_id: str = "e-1") -> LedgerRow:  # fmt: skip
    return LedgerRow(T0 + timedelta(minutes=minute), topic, 0, minute, event_id, event_type, outcome, reason, 1)


def drift(id: int, action: str, minute: int, event_id: str | None = "e-r", field: str = "email") -> DriftRecord:
    return DriftRecord(id, None, T0 + timedelta(minutes=minute), "learner", "L-1", "learner:9", field, "push", action,
                       event_id)  # fmt: skip


RECONCILE = row("ReconcileRequested", minute=10, event_id="e-r")


def test_reconciles_are_the_learner_events_that_compare_with_sa() -> None:
    """R1 and D1: a refresh and a reconcile compare with SA's record; an edit does not."""
    assert {"RefreshRequested", "ReconcileRequested"} == RECONCILES


@pytest.mark.parametrize(
    ("facts", "label", "failed"),
    [
        pytest.param({}, "in sync", [], id="all-well"),
        pytest.param({"linked": False}, "not in Smart Assessor", [], id="X2-not-linked"),
        pytest.param({"parked": 2}, "not in sync", ["nothing parked"], id="parked"),
        pytest.param(
            {"newest": [row(outcome="parked", reason="SA refused")]},
            "not in sync",
            ["last events went through"],
            id="newest-parked-or-discarded",
        ),
        pytest.param(
            {"newest": [row(outcome="skipped", reason="integration disabled (S1)")]},
            "not in sync",
            ["last events went through"],
            id="S1-off-nothing-sent",
        ),
        pytest.param(
            {"newest": [row(outcome="skipped", reason="learner details are not pushed under the settings (L5)")]},
            "in sync",
            [],
            id="L5-skipped-by-the-settings",
        ),
        pytest.param({"newest": []}, "in sync", [], id="no-event-yet"),
        pytest.param(
            {"drift": [drift(3, "failed", 9, event_id="e-old")]},
            "in sync",
            [],
            id="D3-failed-before-the-last-reconcile",
        ),
        pytest.param(
            {"drift": [drift(3, "reported", 9, event_id="e-r")]},
            "not in sync",
            ["no difference left"],
            id="D2-reported-by-the-last-reconcile",
        ),
        pytest.param(
            {"drift": [drift(4, "failed", 12, event_id="e-x")]},
            "not in sync",
            ["no difference left"],
            id="D3-failed-since",
        ),
        pytest.param(
            {"drift": [drift(5, "pushed", 11), drift(4, "failed", 10)]},
            "in sync",
            [],
            id="D1-failed-then-repaired-by-a-redrive",
        ),
        pytest.param(
            {"reconcile": None, "drift": [drift(1, "would push", 1, event_id=None)]},
            "not in sync",
            ["no difference left"],
            id="D4-never-reconciled-a-dry-runs-difference-stands",
        ),
    ],
)
def test_in_sync_or_why_not(facts: dict[str, Any], label: str, failed: list[str]) -> None:
    """Each condition alone turns the indicator, and the failed check is the one named."""
    given = {"linked": True, "parked": 0, "newest": [row(minute=12)], "reconcile": RECONCILE, "drift": [], **facts}
    state = judge(given["linked"], given["parked"], given["newest"], given["reconcile"], given["drift"])
    assert state.label == label
    assert [c.name for c in state.checks if not c.ok] == failed


def test_why_names_the_event_and_the_fields_never_values() -> None:
    """The page says which event did not go through and which field differs, by name."""
    state = judge(True, 0, [row(outcome="parked", reason="SA refused (L1)")], None, [drift(1, "failed", 1)])
    details = [c.detail for c in state.checks if not c.ok]
    assert details == ["LearnerEdited on pics.learner was parked: SA refused (L1)",
                       "never reconciled; not repaired since: learner.email failed"]  # fmt: skip
