"""``pics-sync run --processes 2``: two members of one consumer group in processes of their own (#18 item 1).

Contract: the supervisor's two members share the push group's partitions, so enrolments of several
learners, whichever partition their key is on, all reach SA (U1) and the ledger; each member beats
under its own id naming its index (member-0, member-1), and the group coordinator lists both by their
client.id; SIGTERM to the supervisor stops both members, each marking its heartbeat stopped, and it
exits 0 within seconds; a member killed with SIGKILL is started again (a new pid under the same
index) and events sent after it are applied all the same.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from consumers.ops.status import GroupStatus, Thresholds, collect_status
from consumers.producer import EventProducer
from consumers.service import Service
from sandbox.sa.process import SaSandboxProcess
from sync_core.config import RuntimeConfig
from sync_core.state.heartbeats import Heartbeat
from sync_core.state.settings_repo import SettingsRepository
from tests.learners import course, enrolment, new_learner, send
from tests.support import process_env, wait_until

pytestmark = pytest.mark.integration

PICS_SYNC = str(Path(sys.executable).parent / "pics-sync")  # the console script, as an operator runs it
FIRST = tuple(f"L-PROC-{n}" for n in range(6))
AFTER = tuple(f"L-PROC-AFTER-{n}" for n in range(6))


def push_group(config: RuntimeConfig, service: Service) -> GroupStatus:
    """The push group as `pics-sync status --side push` finds it now."""
    (group,) = collect_status(config, service.pool, thresholds=Thresholds(), sides=("push",)).groups
    return group


def live_by_member(config: RuntimeConfig, service: Service) -> dict[str, Heartbeat]:
    """The live heartbeats of the push group by member index (``member-0``), from their member ids; the newest
    of an index (a killed member's row looks live until it is stale)."""
    live = push_group(config, service).live(Thresholds().stale_after)  # newest first
    return {part: beat for beat in reversed(live) for part in beat.member_id.split("/") if part.startswith("member-")}


def pid_of(beat: Heartbeat) -> int:
    """The pid in a member id ``host/member-I/pid/random``."""
    return int(beat.member_id.split("/")[2])


def enrol(service: Service, producer: EventProducer, idents: tuple[str, ...], seed: int) -> None:
    """One enrolment per learner, each its own key, so they spread over the partitions."""
    for n, ident in enumerate(idents, start=seed):
        send(producer, ident, [enrolment(service, new_learner(n, ident), [course(f"Q-{ident}")])])


def in_sa(sa: SaSandboxProcess, idents: tuple[str, ...]) -> bool:
    return set(idents) <= {learner["misId"] for learner in sa.learners()}


@pytest.fixture
def supervisor(config: RuntimeConfig, service: Service, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`pics-sync run --processes 2` as a process of its own, once both members beat; killed with them at the end."""
    SettingsRepository(service.pool).set_many({"Integration Enabled": "on"})
    # The least session timeout: a member killed with SIGKILL leaves its partitions to the others in 6 s.
    env = process_env(config, PICS_SYNC_KAFKA_SESSION_TIMEOUT_MS="6000", PICS_SYNC_LOG_LEVEL="INFO")
    log = tmp_path / "run.log"
    with log.open("wb") as stderr:
        # A session of its own: a failed test kills the supervisor and its members together.
        process = subprocess.Popen(
            [PICS_SYNC, "run", "--processes", "2"], env=env, stderr=stderr, start_new_session=True
        )
    try:
        wait_until(lambda: len(live_by_member(config, service)) == 2 or process.poll() is not None, timeout=60)
        assert process.poll() is None, log.read_text()[-3000:]
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def test_two_members_share_the_group_and_a_sigterm_stops_both_with_exit_0(
    config: RuntimeConfig, service: Service, producer: EventProducer, sa: SaSandboxProcess,
    supervisor: subprocess.Popen[bytes],
) -> None:  # fmt: skip
    """U1: every learner enrolled reaches SA through two members, each shown in status; SIGTERM: both stop, exit 0."""
    enrol(service, producer, FIRST, seed=60)
    wait_until(lambda: in_sa(sa, FIRST), timeout=30)
    with service.pool.connection() as conn:
        outcomes = conn.execute("SELECT outcome, count(*) FROM sync.processed_events GROUP BY 1").fetchall()
    assert outcomes == [("applied", len(FIRST))]
    members = live_by_member(config, service)
    assert sorted(members) == ["member-0", "member-1"] and pid_of(members["member-0"]) != pid_of(members["member-1"])
    group = wait_until(lambda: (found := push_group(config, service)).assigned == len(found.partitions) and found)
    assert sorted(m.client_id for m in group.members) == ["pics-sync-member-0", "pics-sync-member-1"]
    asked = time.monotonic()
    supervisor.send_signal(signal.SIGTERM)
    assert supervisor.wait(timeout=30) == 0
    assert time.monotonic() - asked < 15
    stopped = push_group(config, service).consumers
    assert {beat.member_id for beat in stopped if beat.stopped_at} == {beat.member_id for beat in members.values()}


def test_a_member_killed_with_sigkill_is_restarted_and_later_events_are_applied(
    config: RuntimeConfig, service: Service, producer: EventProducer, sa: SaSandboxProcess,
    supervisor: subprocess.Popen[bytes],
) -> None:  # fmt: skip
    """U1: member-1 killed -9 comes back under a new pid; learners enrolled after it are all in SA."""
    killed = pid_of(live_by_member(config, service)["member-1"])
    os.kill(killed, signal.SIGKILL)
    back = wait_until(lambda: (m := live_by_member(config, service).get("member-1")) and pid_of(m) != killed and m)
    assert supervisor.poll() is None and pid_of(back) != killed
    enrol(service, producer, AFTER, seed=70)
    wait_until(lambda: in_sa(sa, AFTER), timeout=45)
    supervisor.send_signal(signal.SIGTERM)
    assert supervisor.wait(timeout=30) == 0
