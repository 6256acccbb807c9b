"""The processes a bench runs as members of one consumer group, and how it hears of their progress.

``started`` runs a contender's processes (``pics-sync run --processes N``, or N floor members), each in
a session of its own, and yields once the group is stable with N members owning every partition, with
their Kafka client ids. ``Members`` pauses and resumes their whole process trees (a supervisor's
members included), sums their CPU time, and collects the lines a floor member writes for each event
done. ``LedgerClock`` is the runtime's progress as its ledger shows it. ``stack_environment`` is a
member's environment on an arena's database, topics and group.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import IO, Protocol

import psutil
from psycopg_pool import ConnectionPool

from consumers.kafka.groups import group_members
from sync_core.config import ENV_PREFIX, RuntimeConfig, kafka_settings
from sync_core.pipeline.routes import PUSH_TOPICS

JOIN_TIMEOUT_S = 120.0


class Members:
    """Processes started for one contender, their whole trees (a supervisor's members included)."""

    def __init__(self, commands: Sequence[tuple[Sequence[str], dict[str, str]]], *, lines: bool) -> None:
        self._logs = [tempfile.TemporaryFile() for _ in commands]  # noqa: SIM115 (closed by stop)
        out = subprocess.PIPE if lines else subprocess.DEVNULL
        self.processes = [
            subprocess.Popen(list(argv), env=env, stdout=out, stderr=log, start_new_session=True)
            for (argv, env), log in zip(commands, self._logs, strict=True)
        ]
        self.done_at: list[float] = []  # each line a member wrote: the time an event was done
        self._lock = threading.Lock()
        self._readers = [
            threading.Thread(target=self._read, args=(p.stdout,), daemon=True) for p in self.processes if lines
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, stream: IO[bytes] | None) -> None:
        assert stream is not None
        for line in stream:
            with self._lock:
                self.done_at.append(float(line))

    def count(self) -> int:
        """Events the members reported done."""
        with self._lock:
            return len(self.done_at)

    def last_at(self) -> float:
        """When the last of them was done (wall clock)."""
        with self._lock:
            return max(self.done_at, default=0.0)

    def tree(self) -> list[psutil.Process]:
        """Every process started, and their children."""
        found: list[psutil.Process] = []
        for started in self.processes:
            with contextlib.suppress(psutil.NoSuchProcess):
                root = psutil.Process(started.pid)
                found += [root, *root.children(recursive=True)]
        return found

    def cpu_s(self) -> float:
        """User + system CPU seconds of every process in the trees so far."""
        total = 0.0
        for process in self.tree():
            with contextlib.suppress(psutil.NoSuchProcess):
                times = process.cpu_times()
                total += times.user + times.system
        return total

    def signal_all(self, signum: int) -> None:
        for process in self.tree():
            with contextlib.suppress(psutil.NoSuchProcess):
                process.send_signal(signum)

    def check_alive(self) -> None:
        for started, log in zip(self.processes, self._logs, strict=True):
            if started.poll() is not None:
                log.seek(0)
                tail = log.read()[-2000:].decode(errors="replace")
                raise RuntimeError(f"a bench member exited with {started.returncode}: {tail}")

    def stop(self) -> None:
        """SIGTERM to each process started (a supervisor forwards it), SIGKILL to what is left after 30 s."""
        self.signal_all(signal.SIGCONT)  # a paused member cannot handle SIGTERM
        for started in self.processes:
            if started.poll() is None:
                started.send_signal(signal.SIGTERM)
        for started in self.processes:
            try:
                started.wait(30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(started.pid, signal.SIGKILL)
                started.wait(10)
        for reader in self._readers:
            reader.join(10)
        for started in self.processes:
            if started.stdout is not None:
                started.stdout.close()
        for log in self._logs:
            log.close()


@contextmanager
def started(
    commands: Sequence[tuple[Sequence[str], dict[str, str]]], config: RuntimeConfig, count: int, *, lines: bool
) -> Iterator[tuple[Members, list[str]]]:
    """The processes, once ``config``'s group is stable with ``count`` members owning every push partition;
    with the members' Kafka client ids."""
    members = Members(commands, lines=lines)
    try:
        yield members, _joined(members, config, count)
    finally:
        members.stop()


def _joined(members: Members, config: RuntimeConfig, count: int) -> list[str]:
    partitions = len(PUSH_TOPICS) * config.topic_partitions
    deadline, seen = time.monotonic() + JOIN_TIMEOUT_S, 0
    while time.monotonic() < deadline:
        members.check_alive()
        with contextlib.suppress(Exception):  # the group may not exist yet
            state, found = group_members(kafka_settings(config), config.kafka_group_id)
            owned = {tp for m in found for tp in m.partitions}
            ready = state == "stable" and len(found) == count and all(m.partitions for m in found)
            seen = seen + 1 if ready and len(owned) == partitions else 0
            if seen >= 2:  # twice in a row: a cooperative rebalance assigns in two rounds
                return sorted(m.client_id for m in found)
        time.sleep(0.2)
    raise RuntimeError(f"the group did not settle with {count} members in {JOIN_TIMEOUT_S} s")


def stack_environment(config: RuntimeConfig) -> dict[str, str]:
    """This process's environment with ``config``'s connections, topics, group and SA cap: a member's."""
    return dict(os.environ) | {
        f"{ENV_PREFIX}KAFKA_BOOTSTRAP_SERVERS": config.kafka_bootstrap_servers,
        f"{ENV_PREFIX}DATABASE_URL": config.database_url.get_secret_value(),
        f"{ENV_PREFIX}SA_BASE_URL": config.sa_base_url,
        f"{ENV_PREFIX}SA_USERNAME": config.sa_username,
        f"{ENV_PREFIX}SA_PASSWORD": config.sa_password.get_secret_value(),
        f"{ENV_PREFIX}SA_CLIENT_KEY": config.sa_client_key.get_secret_value(),
        f"{ENV_PREFIX}TOPIC_PREFIX": config.topic_prefix,
        f"{ENV_PREFIX}KAFKA_GROUP_ID": config.kafka_group_id,
        f"{ENV_PREFIX}SA_MAX_CONCURRENCY": str(config.sa_max_concurrency),
        f"{ENV_PREFIX}HTTP_PORT": "0",
        f"{ENV_PREFIX}LOG_LEVEL": "WARNING",
    }


class LedgerClock:
    """The runtime's progress as its ledger shows it: events recorded since the baseline, and when."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool
        self._base = self._count()

    def _count(self) -> int:
        with self._pool.connection() as conn:
            row = conn.execute("SELECT count(*) FROM sync.processed_events").fetchone()
        return int(row[0]) if row else 0

    def count(self) -> int:
        """Events recorded since the baseline."""
        return self._count() - self._base

    def last_at(self) -> float:
        with self._pool.connection() as conn:
            query = "SELECT extract(epoch FROM max(processed_at))::float8 FROM sync.processed_events"
            row = conn.execute(query).fetchone()
        return float(row[0]) if row and row[0] is not None else 0.0

    def done_at(self, event_ids: Sequence[str]) -> dict[str, tuple[float, str]]:
        """Each of ``event_ids`` the ledger holds: when it was recorded (wall clock), and its event type."""
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT event_id::text, extract(epoch FROM processed_at)::float8, event_type"
                " FROM sync.processed_events WHERE event_id = ANY(%s::uuid[])",
                (list(event_ids),),
            ).fetchall()
        return {str(event_id): (float(at), str(kind)) for event_id, at, kind in rows}

    def wait_for(self, total: int, members: Members, timeout: float) -> bool:
        """Until ``total`` events are recorded since the baseline (True), or ``timeout`` (False)."""
        deadline = time.monotonic() + timeout
        while self.count() < total:
            members.check_alive()
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
        return True

    def rebase(self) -> None:
        self._base = self._count()


class Progress(Protocol):
    """Events a contender has done so far, and when the last of them was (wall clock)."""

    def count(self) -> int: ...

    def last_at(self) -> float: ...


def wait_done(members: Members, progress: Progress, total: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while (done := progress.count()) < total:
        members.check_alive()
        if time.monotonic() > deadline:
            raise RuntimeError(f"{done} of {total} events done in {timeout:.0f} s")
        time.sleep(0.05)
