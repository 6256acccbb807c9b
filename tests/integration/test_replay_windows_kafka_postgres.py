"""Replay in small windows through the real broker, real PostgreSQL and the SA sandbox over HTTP.

Contract: a replay processes a partition's range in windows of ``ReplayOptions.window`` messages,
holding no more than that, and its results are those of the whole range at once: a run of edits
split across windows is still coalesced to its last after-image (one PATCH per learner), the dry
run reports the same writes, and a second run finds nothing to do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from consumers.ops.replay import ReplayOptions, replay
from consumers.producer import EventProducer
from consumers.service import Service
from sandbox.sa.process import SaSandboxProcess
from sync_core.config import RuntimeConfig
from sync_core.outcome import Tally
from sync_core.pipeline.process import RunMode
from sync_core.state.settings_repo import SettingsRepository
from tests.integration.test_replay_kafka_postgres import EDITS, PUSH_SETTINGS, edited, holds_latest, made_stale, writes

pytestmark = pytest.mark.integration


@pytest.fixture
def applied(service: Service, producer: EventProducer, drain: Callable[[], Tally]) -> dict[str, tuple[str, Any]]:
    """Two learners' ``EDITS`` edits each, applied by the live group; ident → (SA id, last after-image)."""
    SettingsRepository(service.pool).set_many(PUSH_SETTINGS)
    learners = {ident: edited(service, producer, ident, seed) for seed, ident in enumerate(("L-RW-1", "L-RW-2"), 1)}
    drain()
    return learners


def summary_of(config: RuntimeConfig, service: Service, window: int, mode: RunMode) -> dict[str, Any]:
    shown = replay(config, service.ports, ReplayOptions("pics.learner", mode=mode, progress=False, window=window))
    return {k: v for k, v in shown.as_dict().items() if k not in ("group", "seconds")}


@pytest.mark.parametrize("window", [1, 3])
def test_force_in_small_windows_still_makes_one_patch_per_learner(
    config: RuntimeConfig,
    service: Service,
    applied: dict[str, tuple[str, Any]],
    sa: SaSandboxProcess,
    window: int,
) -> None:
    """--force with windows smaller than a learner's run of edits: the dry run and the run report what one
    window over the whole range reports, SA gets one PATCH per learner and ends with the latest values."""
    made_stale(service, *(sa_id for sa_id, _ in applied.values()))
    whole = summary_of(config, service, 10_000, RunMode(dry_run=True, force=True))
    dry = summary_of(config, service, window, RunMode(dry_run=True, force=True))
    before = writes(sa)
    done = summary_of(config, service, window, RunMode(force=True))
    assert dry == whole and dry["sa_writes"] == {"update learner": 2} and dry["coalesced"] == 2 * (EDITS - 1)
    # A forced dry run reads each linked learner once (D7: does SA still hold it?) and writes nothing.
    assert whole["sa_calls"] == 2 and done["sa_calls"] == whole["sa_calls"] + 2
    assert {**done, "dry_run": True, "sa_calls": whole["sa_calls"]} == whole
    assert writes(sa) - before == 2
    assert all(holds_latest(service, sa_id, learner) for sa_id, learner in applied.values())
    again = summary_of(config, service, window, RunMode())
    assert (again["sa_writes"], again["duplicates"]) == ({}, 2)
