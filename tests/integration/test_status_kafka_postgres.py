"""`pics-sync status` against the real broker, real PostgreSQL and the SA sandbox over HTTP.

Contract: status counts parked events by reason; reads each group's lag per partition from the
committed offsets and the partitions' ends, without joining the group, and which member owns which
partition from the group coordinator; shows each running consumer's circuit and pending work from
its heartbeat (also of a real `pics-sync run`), and a consumer that stopped as not live; reports the
last daily pull and its figures; and exits 1 exactly when something needs attention, 0 otherwise,
also as a real `pics-sync status --json` process.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from consumers import cli
from consumers.heartbeat import HeartbeatWriter, start_heartbeat
from consumers.kafka.clients import make_consumer
from consumers.loop import ParallelLoop
from consumers.ops.status import StatusReport, Thresholds, collect_status, group_of
from consumers.producer import EventProducer
from consumers.service import Service
from sandbox.pics.people import People
from sync_core.config import RuntimeConfig, kafka_settings
from sync_core.outcome import Kind, Tally
from sync_core.serde import new_event
from sync_core.smart_assessor.circuit import CircuitBreaker
from sync_core.state.pull_runs import PullRuns
from sync_core.state.settings_repo import SettingsRepository
from tests.learners import BEHIND, PARKED_A1, new_learner, parking_on_unknown_status, send
from tests.support import process_env, wait_until

pytestmark = pytest.mark.integration

PUSH_SETTINGS = {"Integration Enabled": "on", "Update Learner Demographics Mode": "Push PICS Data to Smart Assessor"}
PUSH_PARTITIONS = 9  # three pics.* topics of three partitions each (tests/conftest.py)
Beating = Callable[..., tuple[ParallelLoop, HeartbeatWriter]]
Status = Callable[..., tuple[int, str]]


def report(config: RuntimeConfig, service: Service, *, max_lag: int = 1000, side: str = "push") -> StatusReport:
    """What `pics-sync status --side side` finds now."""
    sides = ("push", "pull") if side == "both" else (side,)
    return collect_status(config, service.pool, thresholds=Thresholds(max_lag=max_lag), sides=sides)


@pytest.fixture
def beating(config: RuntimeConfig, service: Service) -> Iterator[Beating]:
    """Starts a consumer loop of a side's group with a heartbeat every 0.2 s; all stopped at the end."""
    started: list[tuple[ParallelLoop, HeartbeatWriter]] = []

    def start(side: str = "push", *, subscribe: bool = False, breaker: CircuitBreaker | None = None) -> Any:
        group, topics = group_of(config, side)
        consumer = make_consumer(kafka_settings(config), group)
        loop = ParallelLoop(consumer, service.ports, concurrency=2, breaker=breaker or CircuitBreaker())
        if subscribe:
            loop.subscribe(topics)
            wait_until(lambda: loop.poll_once() >= 0 and loop.consumer.assignment(), timeout=60)
        started.append((loop, start_heartbeat(service.pool, loop, group=group, side=side, interval=0.2)))
        return started[-1]

    yield start
    for loop, writer in started:
        writer.stop()
        loop.shutdown()
        loop.consumer.close()


@pytest.fixture
def status(config: RuntimeConfig, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Status:
    """Runs `pics-sync status …` in-process on this test's database and topics: (exit code, stdout)."""
    for name, value in process_env(config).items():
        if name.startswith("PICS_SYNC_"):
            monkeypatch.setenv(name, value)

    def run(*argv: str) -> tuple[int, str]:
        capsys.readouterr()
        code = cli.main(["status", *argv])
        return code, capsys.readouterr().out

    return run


def live_member(config: RuntimeConfig, service: Service, side: str = "push") -> Any:
    """The live consumer status shows for the side's group, once its heartbeat has come."""
    group = next(g for g in report(config, service, side=side).groups if g.side == side)
    live = group.live(Thresholds().stale_after)
    return live[0] if live else None


def produce_edits(producer: EventProducer, count: int, prefix: str) -> None:
    """``count`` learner edits, each of its own learner, so they spread over the partitions."""
    for n in range(count):
        ident = f"{prefix}{n}"
        edit = new_event("LearnerEdited", {"learner": People(n).learner(ident)}, changed_fields=["email"])
        producer.send("pics.learner", ident, edit)
    producer.flush()


def test_parked_events_are_counted_by_reason_and_status_exits_1(
    config: RuntimeConfig, service: Service, producer: EventProducer, drain: Callable[[], Tally], status: Status
) -> None:
    """A1: aims closed with an unknown code park; status counts them by reason, shows no lag left, and exits 1 for them."""
    SettingsRepository(service.pool).set_many(PUSH_SETTINGS)
    for seed, ident, emails in ((1, "L-PARK-A", ["a@example.org"]), (2, "L-PARK-B", [])):  # A's edit waits behind
        send(producer, ident, parking_on_unknown_status(service, new_learner(seed, ident), *emails))
    assert drain().count(Kind.PARKED) == 3
    found = report(config, service)
    assert [(p.reason, p.count) for p in found.parked] == [(PARKED_A1, 2), (BEHIND, 1)]
    assert found.groups[0].lag == 0
    assert found.reasons()[0] == "3 parked event(s): see `pics-sync dlq list`"
    code, out = status("--side", "push")
    lines = out.splitlines()
    assert code == 1 and "  ! 3 parked event(s): see `pics-sync dlq list`" in lines
    assert "parked events by reason (3 in all)" in lines
    assert any(line.startswith("  2 ") and line.endswith(PARKED_A1) for line in lines)


def test_lag_counts_unconsumed_events_and_clears_after_draining(
    config: RuntimeConfig,
    service: Service,
    producer: EventProducer,
    drain: Callable[[], Tally],
    beating: Beating,
    status: Status,
) -> None:
    """Seven events nobody consumed are lag 7 and the only reason to exit 1; after a drain the lag is 0 and exit 0."""
    beating("push")
    wait_until(lambda: live_member(config, service))
    produce_edits(producer, 7, "L-LAG-")
    before = report(config, service, max_lag=5).groups[0]
    assert before.lag == 7 and len(before.partitions) == PUSH_PARTITIONS
    assert {p.committed for p in before.partitions} == {None}  # the group never committed
    assert report(config, service, max_lag=5).reasons() == [f"group {config.kafka_group_id} lags 7 events (over 5)"]
    assert status("--side", "push", "--max-lag", "5")[0] == 1
    assert status("--side", "push", "--max-lag", "7")[0] == 0
    drain()
    after = report(config, service, max_lag=0)
    assert after.groups[0].lag == 0 and after.reasons() == []
    learner = [p for p in after.groups[0].partitions if p.topic.endswith("pics.learner")]
    assert sum(p.end for p in learner) == 7 and all(p.committed == p.end for p in learner if p.end)
    code, out = status("--side", "push", "--max-lag", "0")
    assert code == 0 and out.startswith("pics-sync status: ok")


def test_heartbeat_carries_the_circuit_state_and_a_stop(
    config: RuntimeConfig, service: Service, beating: Beating
) -> None:
    """A running consumer's open circuit shows and needs attention; closed again it does not; stopped, it is not live."""
    loop, writer = beating("push", subscribe=True, breaker=CircuitBreaker(threshold=1, cooldown=600))
    member = wait_until(lambda: live_member(config, service))
    assert (member.circuit, member.pending) == ("closed", 0)
    push = report(config, service).groups[0]
    assert (push.state, push.assigned, len(push.members)) == ("stable", PUSH_PARTITIONS, 1)
    loop.breaker.failure()
    wait_until(lambda: live_member(config, service).circuit == "open")
    expected = f"circuit open on {member.member_id} (group {config.kafka_group_id}): SA is failing"
    assert report(config, service).reasons() == [expected]
    loop.breaker.success()
    wait_until(lambda: live_member(config, service).circuit == "closed")
    assert report(config, service).reasons() == []
    writer.stop()
    stopped = report(config, service)
    assert [c.stopped_at is not None for c in stopped.groups[0].consumers] == [True]
    assert stopped.reasons() == [f"no live consumer in group {config.kafka_group_id} (none reported in 30 s)"]


def test_daily_pull_runs_and_their_figures(config: RuntimeConfig, service: Service, beating: Beating) -> None:
    """The last daily run shows with its figures; a failed run needs attention while the older success is kept."""
    beating("push")
    beating("pull")
    wait_until(lambda: live_member(config, service) and live_member(config, service, "pull"))
    runs = PullRuns(service.pool)
    today = datetime.now(UTC).date()
    assert report(config, service, side="both").reasons() == ["no daily pull has succeeded in the last 26 h"]
    good = runs.start(today, "daily", 12)
    runs.checkpoint(good, "L-9", read=12, events=40, calls=30, unmapped=1)
    runs.finish(good, "succeeded")
    runs.finish(runs.start(today, "learner:L-1", 1), "failed")  # a one-learner pull is not the daily pull
    ok = report(config, service, side="both")
    assert ok.reasons() == [] and ok.last_pull == ok.last_pull_success
    last = ok.last_pull
    assert last is not None and (last.id, last.learners_eligible, last.learners_read, last.events) == (good, 12, 12, 40)
    bad = runs.start(today, "daily", 12)
    runs.finish(bad, "failed")
    failed = report(config, service, side="both")
    assert failed.reasons() == [f"the last daily pull (run {bad} for {today}) failed"]
    assert failed.last_pull is not None and failed.last_pull_success is not None
    assert (failed.last_pull.id, failed.last_pull_success.id) == (bad, good)


def test_a_running_consumer_process_reports_in_and_out(config: RuntimeConfig, service: Service) -> None:
    """`pics-sync run` beats as a live consumer and Kafka shows it owning every push partition; stopped, it is neither."""
    command = [str(Path(sys.executable).with_name("pics-sync")), "run"]
    env = process_env(config, PICS_SYNC_HTTP_PORT="0")  # no HTTP port that another test's consumer may hold
    running = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        first = wait_until(lambda: live_member(config, service), timeout=60)
        push = wait_until(lambda: (found := report(config, service).groups[0]).assigned == PUSH_PARTITIONS and found)
        assert (push.state, len(push.members)) == ("stable", 1)
        # It keeps beating while the loop polls: nothing in the heartbeat waits on the consumer.
        member = wait_until(lambda: (now := live_member(config, service)).updated_at > first.updated_at and now)
        assert (member.member_id, member.side, member.circuit, member.pending) == (first.member_id, "push", "closed", 0)
        assert report(config, service).reasons() == []
    finally:
        running.send_signal(signal.SIGTERM)
        _out, err = running.communicate(timeout=60)
    assert running.returncode == 0, err[-2000:]
    after = report(config, service).groups[0]
    assert [(c.member_id, c.stopped_at is not None) for c in after.consumers] == [(member.member_id, True)]
    assert (after.state, after.members) == ("empty", ())


def test_an_unreachable_broker_is_a_reason_not_a_crash(config: RuntimeConfig, service: Service) -> None:
    """With no broker at the address, status still reads the database and names Kafka as the reason to act."""
    nowhere = config.model_copy(update={"kafka_bootstrap_servers": "127.0.0.1:9"})
    found = report(nowhere, service)
    (push,) = found.groups
    assert push.error is not None and push.partitions == () and push.members == ()
    assert found.reasons()[0].startswith(f"group {config.kafka_group_id}: Kafka unreadable (")


def status_process(config: RuntimeConfig, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed `pics-sync status` console script in its own process on this test's stack."""
    script = Path(sys.executable).with_name("pics-sync")
    command = [str(script), "status", *args]
    return subprocess.run(command, env=process_env(config), capture_output=True, text=True, timeout=120, check=False)


def test_status_json_process_exit_code_follows_the_verdict(
    config: RuntimeConfig, service: Service, producer: EventProducer, beating: Beating
) -> None:
    """`pics-sync status --json`: one JSON object on the last line; exit 1 with lag over --max-lag, 0 within it."""
    beating("push")
    member = wait_until(lambda: live_member(config, service))
    produce_edits(producer, 3, "L-JSON-")
    over = status_process(config, "--json", "--side", "push", "--max-lag", "2")
    assert over.returncode == 1, over.stderr[-2000:]
    shown = json.loads(over.stdout.strip().splitlines()[-1])
    assert shown["status"] == "attention"
    assert shown["reasons"] == [f"group {config.kafka_group_id} lags 3 events (over 2)"]
    (push,) = shown["groups"]
    assert (push["group"], push["side"], push["lag"]) == (config.kafka_group_id, "push", 3)
    consumers = [(c["member_id"], c["circuit"], c["live"]) for c in push["consumers"]]
    assert consumers == [(member.member_id, "closed", True)]
    assert shown["parked"] == {"total": 0, "by_reason": []} and shown["pull"]["watched"] is False
    within = status_process(config, "--json", "--side", "push", "--max-lag", "3")
    assert within.returncode == 0, within.stderr[-2000:]
    assert json.loads(within.stdout.strip().splitlines()[-1])["status"] == "ok"
