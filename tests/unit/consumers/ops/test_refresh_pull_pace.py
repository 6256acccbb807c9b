"""R1 v2: a refresh's pull is made at the push consumer's pace, not held back by a bucket of its own."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from consumers.ops import refresh_pull
from consumers.ops.daily_pull import PacedCalls, PullOptions
from consumers.ops.refresh_pull import RefreshPulls
from sync_core import clock


def test_r1_a_refreshs_pull_has_no_pace_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bucket for each refresh (the daily run's 25 calls/s) held every refresh's reads 40 ms apart and never
    bounded the consumer's total; the SA client's limiter (PICS_SYNC_SA_RATE_LIMIT_PER_S) paces them."""
    asked: list[PullOptions] = []

    def pulled(_service: Any, options: PullOptions, _learner: Any, _producer: Any) -> dict[str, int]:
        asked.append(options)
        return {"events": 3}

    monkeypatch.setattr(refresh_pull, "eligible_learner_pull", pulled)
    monkeypatch.setattr(refresh_pull, "EligibleLearners", lambda _pool: SimpleNamespace(one=lambda ident: {}))
    monkeypatch.setattr(refresh_pull, "pull_producer", lambda _service: object())
    service: Any = SimpleNamespace(pool=None, config=SimpleNamespace(zone=clock.zone(clock.DEFAULT_ZONE)))
    assert RefreshPulls(service)("L1") == 3
    assert asked[0].rate_per_s is None and not asked[0].reconcile


def test_unpaced_calls_are_made_and_counted_without_a_bucket() -> None:
    calls = PacedCalls(None)
    assert [calls(lambda n: n * 2, n) for n in range(3)] == [0, 2, 4]
    assert (calls.bucket, calls.calls) == (None, 3)
