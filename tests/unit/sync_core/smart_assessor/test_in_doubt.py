"""Writes in doubt: a write that timed out may land later, so it is written again after it could have."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from sync_core.errors import SaTimedOut, TransientError
from sync_core.execute.executor import ExecutorPorts, execute
from sync_core.plan import EnsureLearner, update_learner
from sync_core.smart_assessor.in_doubt import InDoubtWrites
from tests.unit.fakes import HASH_KEY, FakeSa, FakeState

PLAN = (update_learner("g1", {"email": "new@example.org"}),)


class Clock:
    """A clock that only moves when told to, or when someone waits on it."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class HangingOnceSa(FakeSa):
    """Times out the first write of each target, as if SA were still working on it."""

    def __init__(self) -> None:
        super().__init__()
        self.timed_out: set[str] = set()

    def _update(self, table: dict[str, dict[str, Any]], kind: str, sa_id: Any, fields: Any) -> dict[str, Any]:
        if str(sa_id) not in self.timed_out:
            self.timed_out.add(str(sa_id))
            raise SaTimedOut(f"timed out on PATCH /{kind}s/{sa_id}")
        return super()._update(table, kind, sa_id, fields)


def ports(sa: FakeSa, state: FakeState, doubts: InDoubtWrites) -> ExecutorPorts:
    return replace(ExecutorPorts(sa, state, state, state, state, hash_key=HASH_KEY), doubts=doubts)


def test_an_update_retried_within_the_window_is_written_again_after_it() -> None:
    """A PATCH that timed out and was retried at once is sent a third time once the late copy can no longer land."""
    sa, state, doubts = HangingOnceSa(), FakeState(), InDoubtWrites(0.05)
    sa.learners["g1"] = {"id": "g1"}
    with pytest.raises(SaTimedOut):
        execute(PLAN, ports(sa, state, doubts))
    execute(PLAN, ports(sa, state, doubts))  # the loop's retry of the same event
    assert sa.writes() == [("update learner", "g1"), ("update learner", "g1")]
    assert doubts.pending() == 0


def test_an_update_after_the_window_is_written_once() -> None:
    """Once the window has passed, a late copy has landed or never will: the next write is the last, once."""
    clock = Clock()
    sa, state, doubts = HangingOnceSa(), FakeState(), InDoubtWrites(30.0, clock=clock)
    sa.learners["g1"] = {"id": "g1"}
    with pytest.raises(SaTimedOut):
        execute(PLAN, ports(sa, state, doubts))
    clock.now += 31.0
    execute(PLAN, ports(sa, state, doubts))
    assert sa.writes() == [("update learner", "g1")]


def test_a_create_that_timed_out_is_searched_for_only_after_the_window() -> None:
    """U10: a retried create first waits out the window, so a learner SA created late is found, not made twice."""
    sa, state, doubts = FakeSa(), FakeState(), InDoubtWrites(0.05)
    plan = (EnsureLearner("L1", {"firstName": "Ada"}),)
    doubts.timed_out("create learner:L1")
    sa.learners["g9"] = {"id": "g9", "misId": "L1"}  # the create that timed out landed meanwhile
    execute(plan, ports(sa, state, doubts))
    assert [call for call in sa.calls if call[0].startswith("create")] == []
    assert state.links[("learner", "L1")] == "g9"


def test_stopping_interrupts_a_wait_and_keeps_the_doubt() -> None:
    """SIGTERM does not wait out the window: the event stays unrecorded and its successor must wait instead."""
    doubts = InDoubtWrites(60.0)
    doubts.timed_out("learner:g1#email")
    doubts.stop()
    with pytest.raises(TransientError):
        doubts.wait_out("learner:g1#email", written_at=doubts.now())
    assert doubts.pending() == 1


def test_no_window_means_no_doubt() -> None:
    """PICS_SYNC_SA_LATE_WRITE_WINDOW_S=0 turns the safeguard off: nothing is remembered or waited for."""
    doubts = InDoubtWrites(0.0)
    doubts.timed_out("learner:g1#email")
    assert doubts.pending() == 0 and doubts.wait_out("learner:g1#email", written_at=0.0) is False
