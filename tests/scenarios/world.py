"""The reliability scenarios' shared ground: a simulated PICS enrolled in SA, a backlog of its changes, and the checks.

A scenario builds its world as ``pics-sync demo`` does (every push setting on, qualification links
refreshed, learners enrolled and drained, SA ids adopted), then sends a batch of mixed PICS events
for the runtime under test to work through under its failure. At the end SA must be what the demo's
oracle says the events sent make it (``check_sync`` against ``model``), with no duplicate SA records,
and every learner's events must have been applied in their order. The runtime under test is the
consumer (``ConsumerProcess``) or the daily run (``DailyRunProcess``), each as its own process to kill.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from confluent_kafka import TopicPartition
from confluent_kafka.admin import AdminClient

from consumers.kafka.clients import make_consumer
from consumers.kafka.ranges import partitions_of, replay_consumer, watermarks
from consumers.loop import ParallelLoop
from consumers.service import Service
from sandbox.demo.model import SaModel, fold_all
from sandbox.demo.oracle_tables import Settings
from sandbox.demo.profiles import REVIEW_TYPES
from sandbox.demo.run import DEMO_SETTINGS, Sender
from sandbox.demo.sync_check import SyncCheck, check_sync
from sandbox.pics.changes import next_change
from sandbox.pics.people import People
from sandbox.pics.store import PicsStore
from sandbox.pics.world import Emitted, World
from sync_core.config import RuntimeConfig, kafka_settings
from sync_core.outcome import Tally
from sync_core.pics.qualification_links import QualificationLinks
from sync_core.pipeline.routes import PUSH_TOPICS
from sync_core.state.settings_repo import SettingsRepository
from tests.support import process_env

PREFIX = "SC-"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONSUMER = [sys.executable, "-c", "from consumers.cli import main; raise SystemExit(main(['run']))"]


@dataclass
class Scenario:
    """A PICS world whose learners are all enrolled in SA, and the means to change it."""

    service: Service
    world: World
    store: PicsStore
    sender: Sender

    def changes(self, count: int) -> list[Emitted]:
        """``count`` changes from the demo's mix; PICS's tables then hold the truth after all of them."""
        emitted = [next_change(self.world) for _ in range(count)]
        self.store.save_all(self.world)
        return emitted

    def send(self, events: Iterable[Emitted]) -> None:
        """Send the events (a share of them twice) and wait until the broker has them all."""
        self.sender.send_all(events)

    def model(self) -> SaModel:
        """SA as the oracle says every event sent so far makes it, under the demo's settings."""
        catalogue = {str(c["qanCode"]): int(c["id"]) for c in self.service.sa.list_courses()}
        return fold_all(Settings(DEMO_SETTINGS, REVIEW_TYPES), catalogue, self.sender.journal.sent)

    def check(self, only: set[str] | None = None) -> SyncCheck:
        """SA compared with the oracle's model, record by record (the learners in ``only``, when given)."""
        return check_sync(self.service.pool, self.service.sa, self.model(), PREFIX, only)


def enrolled_world(
    service: Service, drain: Callable[[], object], *, learners: int, seed: int, duplicate_share: float = 0.02
) -> Scenario:
    """Every push setting on, ``learners`` learners enrolled in SA (drained with ``drain``) and their SA ids adopted."""
    SettingsRepository(service.pool).set_many(DEMO_SETTINGS)
    catalogue = service.sa.list_courses()
    QualificationLinks(service.pool).refresh(catalogue)
    people = People(seed)
    world = World(people, PREFIX)
    world.populate(learners, [str(course["qanCode"]) for course in catalogue])
    store = PicsStore(service.pool)
    store.save_all(world)
    scenario = Scenario(service, world, store, Sender(service, people, duplicate_share))
    scenario.send(world.enrolments())
    drain()
    world.adopt_ids(*store.written_back(PREFIX))
    assert len(world.learners) == learners and all(r["smart_assessor_id"] for r in world.learners.values())
    return scenario


def drain_in_process(service: Service, *, concurrency: int = 8, timeout: float = 120.0) -> Tally:
    """The production runtime (ParallelLoop) in this process, on the service's group, until the push topics are done."""
    config = service.config
    consumer = make_consumer(kafka_settings(config), config.kafka_group_id)
    loop = ParallelLoop(consumer, service.ports, concurrency=concurrency)
    loop.subscribe([config.topic_prefix + t for t in PUSH_TOPICS])
    try:
        return loop.run_until_drained(threading.Event(), timeout=timeout)
    finally:
        consumer.close()


# --- The checks every scenario ends with ---


def assert_in_step(check: SyncCheck, learners: int) -> None:
    """SA holds PICS's values for every learner, course, employer and assessor, each once."""
    assert check.learners_total == learners
    assert (check.field_mismatches, check.duplicate_records) == (0, 0), check.examples
    assert check.learners_matching == check.learners_total, check.examples


def learners_checked(scenario: Scenario, idents: set[str]) -> SyncCheck:
    """``check_sync``'s comparison, of these learners only."""
    return scenario.check(only=idents)


def assert_in_step_but(check: SyncCheck, learners: int, lagging: SyncCheck) -> None:
    """SA holds PICS's values, each record once, for every learner but the ``lagging`` ones (and every employer and assessor)."""
    assert check.duplicate_records == 0, check.examples
    assert check.learners_total == learners
    assert check.learners_matching - lagging.learners_matching == learners - lagging.learners_total, check.examples
    assert check.field_mismatches == lagging.field_mismatches, check.examples


def recorded(service: Service, outcome: str | None = None) -> list[dict[str, Any]]:
    """The ledger's rows (of one outcome, or all), in the order they were recorded."""
    query = 'SELECT topic, partition, "offset", key, outcome, processed_at FROM sync.processed_events'
    params: tuple[str, ...] = ()
    if outcome is not None:
        query, params = query + " WHERE outcome = %s", (outcome,)
    with service.pool.connection() as conn:
        cursor = conn.execute(query + ' ORDER BY processed_at, "offset"', params)
        names = [column.name for column in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def counts_by(rows: Iterable[Mapping[str, Any]], column: str) -> dict[Any, int]:
    """How many rows hold each value of ``column``."""
    counts: dict[Any, int] = defaultdict(int)
    for row in rows:
        counts[row[column]] += 1
    return dict(counts)


def parked_rows(service: Service) -> list[dict[str, Any]]:
    """``sync.parked_events`` in offset order."""
    with service.pool.connection() as conn:
        cursor = conn.execute(
            'SELECT topic, key, "offset", event_id, error_class, reason FROM sync.parked_events'
            ' ORDER BY topic, partition, "offset"'
        )
        names = [column.name for column in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def ledger_size(service: Service) -> int:
    """How many events the ledger holds an outcome for."""
    with service.pool.connection() as conn:
        row = conn.execute("SELECT count(*) FROM sync.processed_events").fetchone()
    return int(row[0]) if row else 0


def out_of_order(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Keys whose events were recorded in an order other than their offsets' (rows in recording order)."""
    last: dict[tuple[str, int, str], int] = {}
    wrong: list[str] = []
    for row in rows:
        lane = (row["topic"], row["partition"], row["key"])
        if row["offset"] < last.get(lane, -1):
            wrong.append(f"{row['key']}: offset {row['offset']} after {last[lane]}")
        last[lane] = max(row["offset"], last.get(lane, -1))
    return wrong


def patched_before_created(log: Sequence[Mapping[str, Any]]) -> list[str]:
    """Calls that changed an SA learner or its courses before a create of that learner had succeeded (sandbox log)."""
    created: set[str] = set()
    wrong: list[str] = []
    for call in sorted(log, key=lambda c: c["seq"]):
        status, resource = call["status"] or 0, call["resource_id"]
        if call["method"] == "POST" and call["route"] == "/learners" and 200 <= status < 300:
            created.add(resource)
        elif call["route"].startswith("/learners/{id}") and call["method"] != "GET" and resource not in created:
            wrong.append(f"{call['method']} {call['route']} {resource} (seq {call['seq']})")
    return wrong


def assert_order_held(service: Service, log: Sequence[Mapping[str, Any]]) -> None:
    """Every key's events were recorded in offset order, and no SA learner was changed before its create."""
    assert out_of_order(recorded(service)) == []
    assert patched_before_created(log) == []


# --- The consumer group, as ``pics-sync run`` processes and the broker see it ---


def free_port() -> int:
    """A loopback port nothing listens on now, for a consumer's HTTP server."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def http_status(url: str) -> int | None:
    """The status of a GET of ``url``; None when nothing answers."""
    try:
        return httpx.get(url, timeout=5).status_code
    except httpx.TransportError:
        return None


class ConsumerProcess:
    """``pics-sync run`` as its own process on this test's broker, database, sandbox, topics and group."""

    def __init__(self, config: RuntimeConfig, **extra: str) -> None:
        # A member that dies keeps its partitions until its session times out: the broker's minimum.
        env = process_env(config, PICS_SYNC_KAFKA_SESSION_TIMEOUT_MS="6000", PICS_SYNC_SA_MAX_CONCURRENCY="8", **extra)
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the process
        self.proc = subprocess.Popen(
            CONSUMER, env=env, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=self._stderr
        )

    def kill(self) -> None:
        """SIGKILL: no revoke, no commit, no goodbye to the group."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self, timeout: float = 60.0) -> int:
        """SIGTERM, then wait for it to finish its in-flight work and commit; its exit code."""
        self.proc.terminate()
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def stderr(self) -> str:
        """What the process wrote to stderr so far."""
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def close(self) -> None:
        """Kill the process if it still runs; forget its stderr."""
        if self.proc.poll() is None:
            self.kill()
        self._stderr.close()


# ``pics-sync pull daily ARGS``: the daily run (its pull, and a reconcile request per learner, D1).
PULL_DAILY = [
    sys.executable,
    "-c",
    "import sys\nfrom consumers.cli import main\nraise SystemExit(main(['pull', 'daily', *sys.argv[1:]]))",
]


class DailyRunProcess:
    """``pics-sync pull daily ARGS`` as its own process on this test's broker, database, sandbox and topics."""

    def __init__(self, config: RuntimeConfig, *args: str, **extra: str) -> None:
        self._stdout, self._stderr = tempfile.TemporaryFile(), tempfile.TemporaryFile()  # noqa: SIM115 - as the process
        env = process_env(config, **extra)
        self.proc = subprocess.Popen(
            [*PULL_DAILY, *args], env=env, cwd=PROJECT_ROOT, stdout=self._stdout, stderr=self._stderr
        )

    def kill(self) -> None:
        """SIGKILL: no flush of what the producer holds, no checkpoint, no run marked failed."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def wait(self, timeout: float = 120.0) -> int:
        """Its exit code once it has ended."""
        return self.proc.wait(timeout)

    def summary(self) -> dict[str, Any]:
        """The run's summary (the last line of ``--json``'s output)."""
        self._stdout.seek(0)
        return dict(json.loads(self._stdout.read().decode().splitlines()[-1]))

    def stderr(self) -> str:
        """What the process wrote to stderr so far."""
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def close(self) -> None:
        """Kill the process if it still runs; forget its output."""
        if self.proc.poll() is None:
            self.kill()
        self._stdout.close()
        self._stderr.close()


def messages_on(config: RuntimeConfig, topic: str) -> int:
    """How many messages a topic of this test holds, every partition's high watermark added (joins no group)."""
    return sum(high for _committed, high in offsets(config, (topic,)).values())


def offsets(config: RuntimeConfig, topics: Sequence[str] = PUSH_TOPICS) -> dict[tuple[str, int], tuple[int, int]]:
    """Each partition's (committed offset of the group, high watermark), the low watermark standing in
    for a committed offset the group has none of (joins no group)."""
    found: dict[tuple[str, int], tuple[int, int]] = {}
    with replay_consumer(kafka_settings(config), config.kafka_group_id) as consumer:
        for logical in topics:
            name = config.topic_prefix + logical
            spans = watermarks(consumer, name, partitions_of(consumer, name))
            committed = consumer.committed([TopicPartition(name, p) for p in spans], timeout=10.0)
            for tp in committed:
                low, high = spans[tp.partition]
                found[name, tp.partition] = (tp.offset if tp.offset >= 0 else low, high)
    return found


def backlog(config: RuntimeConfig, topics: Sequence[str] = PUSH_TOPICS) -> int:
    """Messages of the push topics past the group's committed offsets (joins no group)."""
    return sum(high - committed for committed, high in offsets(config, topics).values())


def members_holding_partitions(config: RuntimeConfig) -> int:
    """How many members of the test's group hold at least one partition now."""
    admin = AdminClient({"bootstrap.servers": config.kafka_bootstrap_servers})
    group = config.kafka_group_id
    described = admin.describe_consumer_groups([group])[group].result(timeout=10)
    return sum(1 for member in described.members if member.assignment.topic_partitions)
