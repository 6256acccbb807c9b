"""Fences: once a work's partition generation is gone, its SA writes and its waits for writes in doubt
abandon it (``Abandoned``), leaving SA and the doubts as they were."""

from __future__ import annotations

from typing import Any

import pytest

from sync_core.execute.executor import ExecutorPorts, execute
from sync_core.fencing import UNFENCED, Abandoned, Fence
from sync_core.plan import update_learner
from sync_core.smart_assessor.in_doubt import InDoubtWrites
from tests.unit.fakes import HASH_KEY, FakeSa, FakeState


class FencingSa(FakeSa):
    """Sets ``fence`` as it applies its first write, as a revoke arriving mid-plan would."""

    def __init__(self, fence: Fence) -> None:
        super().__init__()
        self.fence = fence

    def _update(self, table: dict[str, dict[str, Any]], kind: str, sa_id: Any, fields: Any) -> dict[str, Any]:
        self.fence.set()
        return super()._update(table, kind, sa_id, fields)


def fenced_ports(sa: FakeSa, fence: Fence) -> ExecutorPorts:
    state = FakeState()
    return ExecutorPorts(sa, state, state, state, state, hash_key=HASH_KEY).fenced(fence)


def test_a_write_after_the_fence_is_set_is_not_made() -> None:
    """Every SA write checks the fence: the one after it was set raises Abandoned without a call."""
    fence = Fence()
    sa = FencingSa(fence)
    sa.learners["g1"], sa.learners["g2"] = {"id": "g1"}, {"id": "g2"}
    plan = (update_learner("g1", {"email": "a@example.org"}), update_learner("g2", {"email": "b@example.org"}))
    with pytest.raises(Abandoned):
        execute(plan, fenced_ports(sa, fence))
    assert sa.writes() == [("update learner", "g1")]


def test_unfenced_ports_write_as_before() -> None:
    """Outside the consume loop (redrive, replay, the pull) nothing is fenced."""
    sa = FakeSa()
    sa.learners["g1"] = {"id": "g1"}
    state = FakeState()
    ports = ExecutorPorts(sa, state, state, state, state, hash_key=HASH_KEY)
    assert ports.fence is UNFENCED and not UNFENCED.is_set()
    execute((update_learner("g1", {"email": "a@example.org"}),), ports)
    assert sa.writes() == [("update learner", "g1")]


def test_a_fenced_wait_for_a_write_in_doubt_abandons_and_keeps_the_doubt() -> None:
    """``wait_out`` of a fenced view ends when the fence is set: Abandoned, and the doubt stays for the next
    owner's try of the same event in this process; the doubts are shared with every other view."""
    doubts, fence = InDoubtWrites(60.0), Fence()
    fenced = doubts.fenced(fence)
    fenced.timed_out("learner:g1#email")
    assert doubts.pending() == 1  # one set of doubts
    fence.set()
    with pytest.raises(Abandoned):
        fenced.wait_out("learner:g1#email", written_at=fenced.now())
    assert doubts.pending() == 1


def test_a_fence_check_raises_only_once_set() -> None:
    """``check`` is how a work asks before it changes anything."""
    fence = Fence()
    fence.check()
    fence.set()
    with pytest.raises(Abandoned):
        fence.check()
