"""Admission: new, duplicate, behind a parked event of its key, or skipped (S1), for every run mode."""

from __future__ import annotations

import pytest

from sync_core.outcome import Kind
from sync_core.pipeline.admission import Admission, Prior, RunMode, admit

LIVE, DRY, FORCED, REDRIVE = RunMode(), RunMode(dry_run=True), RunMode(force=True), RunMode(redrive=True)
NEW, DUP, BEHIND, SKIP = Admission.NEW, Admission.DUPLICATE, Admission.BEHIND_PARKED, Admission.SKIPPED


@pytest.mark.parametrize(
    ("outcome", "parked_ahead", "enabled", "mode", "admission"),
    [
        pytest.param(None, False, True, LIVE, NEW, id="live-never-seen-is-new"),
        pytest.param(None, True, True, LIVE, BEHIND, id="live-key-with-parked-event-parks-behind"),
        pytest.param(Kind.APPLIED, False, True, LIVE, DUP, id="live-applied-is-duplicate"),
        pytest.param(Kind.SKIPPED, False, True, LIVE, DUP, id="live-skipped-is-duplicate"),
        pytest.param(Kind.DUPLICATE, False, True, LIVE, DUP, id="live-duplicate-is-duplicate"),
        pytest.param(Kind.PARKED, True, True, LIVE, DUP, id="live-its-own-parked-row-is-duplicate"),
        pytest.param(None, False, False, LIVE, SKIP, id="S1-off-skips-a-new-event"),
        pytest.param(None, True, False, LIVE, SKIP, id="S1-off-skips-before-parking-behind"),
        pytest.param(Kind.APPLIED, False, False, LIVE, DUP, id="S1-off-duplicate-stays-duplicate"),
        pytest.param(None, True, True, DRY, BEHIND, id="dry-run-sees-as-live"),
        pytest.param(Kind.APPLIED, False, True, DRY, DUP, id="dry-run-duplicate"),
        pytest.param(Kind.APPLIED, False, True, FORCED, NEW, id="forced-applied-is-done-again"),
        pytest.param(Kind.PARKED, False, True, FORCED, NEW, id="forced-parked-is-done-again"),
        pytest.param(None, True, True, FORCED, BEHIND, id="forced-keeps-key-order"),
        pytest.param(Kind.APPLIED, False, False, FORCED, SKIP, id="forced-S1-off-skips"),
        pytest.param(Kind.PARKED, True, True, REDRIVE, NEW, id="redrive-head-of-key-parked-is-new"),
        pytest.param(None, True, True, REDRIVE, NEW, id="redrive-released-row-is-new"),
        pytest.param(Kind.APPLIED, True, True, REDRIVE, DUP, id="redrive-already-applied-is-duplicate"),
        pytest.param(Kind.PARKED, True, False, REDRIVE, SKIP, id="redrive-S1-off-skips"),
    ],
)
def test_admit(outcome: Kind | None, parked_ahead: bool, enabled: bool, mode: RunMode, admission: Admission) -> None:
    """Each row of admission's table."""
    assert admit(Prior(outcome, parked_ahead=parked_ahead), integration_enabled=enabled, mode=mode) is admission
