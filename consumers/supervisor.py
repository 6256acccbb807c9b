"""``pics-sync run --processes N``: N members of one consumer group, each a process of its own, kept running.

Kafka is the distributed engine: a key lives in one partition and a partition has one member, so N
members keep per-key order as one does, and use N cores. The supervisor only starts, watches and
stops processes; each member is the whole ``pics-sync run`` (its own consumer, pools, heartbeat and
HTTP port).

Contract:

- **start**: every member at once, each with its own command and environment (``Member``).
- **restart**: a member that exits while no stop was asked for (a crash, an OOM kill, a ``kill -9``) is
  started again after a wait that doubles from ``RestartPolicy.first_wait_s`` up to ``max_wait_s``; one
  that had run ``healthy_s`` or longer starts again from the first wait.
- **give up**: a member that dies more than ``max_restarts`` times in a row, each within ``healthy_s`` of
  its start, is a crash loop restarting cannot mend: the others are sent SIGTERM, and once every member
  has exited ``run`` returns ``GAVE_UP``.
- **stop**: SIGTERM or SIGINT (``signal``) is forwarded to every running member, again on each repeat
  (a second Ctrl-C); nothing is restarted after it, and ``run`` returns once every member has exited:
  0 if each stopped cleanly (exit 0, or ended by the forwarded signal before it could handle it), else 1.

Budgets (``budget``): SA's concurrency cap and rate limit are the deployment's, not a member's. Each
member gets an even share: the cap divided and rounded down (``member_count`` refuses more members
than the cap, so each gets at least 1 and the shares never add up past it), the rate divided exactly.
Member ``i`` serves HTTP on ``PICS_SYNC_HTTP_PORT + i``. The supervisor itself opens no port, no pool
and no Kafka client.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import structlog

from sync_core.config import ENV_PREFIX, RuntimeConfig
from sync_core.errors import ConfigurationError

log = structlog.get_logger("pics_sync.supervisor")
GAVE_UP = 1  # a member kept dying: the exit status of `run --processes N`
_MAX_PORT = 65_535


@dataclass(frozen=True)
class RestartPolicy:
    """How soon a dead member is started again, and how many quick deaths in a row end the supervisor."""

    first_wait_s: float = 1.0
    max_wait_s: float = 30.0
    max_restarts: int = 5  # quick deaths in a row restarted; the next one gives up
    healthy_s: float = 60.0  # a member that ran this long before dying starts a new count

    def wait(self, streak: int) -> float:
        """The wait before the ``streak``-th restart in a row (1, 2, …)."""
        return min(self.max_wait_s, self.first_wait_s * 2.0 ** (streak - 1))


@dataclass(frozen=True)
class Member:
    """One member: its index (0, 1, …), the command it runs and its environment (None: the supervisor's)."""

    index: int
    argv: tuple[str, ...]
    env: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Budget:
    """One member's share of the deployment's SA budgets, and its HTTP port (0: none)."""

    sa_max_concurrency: int
    sa_rate_limit_per_s: float | None
    http_port: int

    def environment(self) -> dict[str, str]:
        """The ``PICS_SYNC_*`` variables that give a member this share."""
        env = {
            f"{ENV_PREFIX}SA_MAX_CONCURRENCY": str(self.sa_max_concurrency),
            f"{ENV_PREFIX}HTTP_PORT": str(self.http_port),
        }
        if self.sa_rate_limit_per_s is not None:
            env[f"{ENV_PREFIX}SA_RATE_LIMIT_PER_S"] = repr(self.sa_rate_limit_per_s)
        return env


def cores() -> int:
    """The cores this process may run on (its CPU affinity, as a container's cpuset limits it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def member_count(config: RuntimeConfig, processes: int | Literal["auto"] | None = None) -> int:
    """How many members: ``processes`` (the command line's) or ``PICS_SYNC_PROCESSES``. ``auto`` is one a core,
    at most the SA cap; an explicit count above the cap, or whose HTTP ports would pass 65535, is refused."""
    wanted = config.processes if processes is None else processes
    cap = config.sa_max_concurrency
    count = max(1, min(cores(), cap)) if wanted == "auto" else wanted
    if count > cap:
        raise ConfigurationError(
            f"{count} processes but PICS_SYNC_SA_MAX_CONCURRENCY is {cap}: the cap is shared among the members, "
            "each needs at least one SA call at once"
        )
    if config.http_port and config.http_port + count - 1 > _MAX_PORT:
        raise ConfigurationError(
            f"{count} processes need HTTP ports {config.http_port}+0…{count - 1}: past {_MAX_PORT}"
        )
    return count


def budget(config: RuntimeConfig, members: int, index: int) -> Budget:
    """Member ``index``'s share of ``config``'s SA budgets among ``members``, and its HTTP port."""
    rate = config.sa_rate_limit_per_s
    return Budget(
        sa_max_concurrency=max(1, config.sa_max_concurrency // members),
        sa_rate_limit_per_s=None if rate is None else rate / members,
        http_port=config.http_port + index if config.http_port else 0,
    )


def member_environment(environ: Mapping[str, str], share: Budget) -> dict[str, str]:
    """``environ`` with ``share``'s variables in place of any spelling of them (pydantic ignores case)."""
    overrides = share.environment()
    return {k: v for k, v in environ.items() if k.upper() not in overrides} | overrides


class _Slot:
    """One member's running process, or when it is due to start again."""

    def __init__(self, member: Member) -> None:
        self.member = member
        self.process: subprocess.Popen[bytes] | None = None
        self.started = 0.0
        self.streak = 0  # quick deaths in a row
        self.due: float | None = 0.0  # when to start it; None while it runs, or after a stop


class Supervisor:
    """Runs ``members`` until a stop, restarting the ones that die (see the module's contract)."""

    def __init__(
        self,
        members: Sequence[Member],
        policy: RestartPolicy | None = None,
        *,
        tick_s: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._slots = [_Slot(member) for member in members]
        self._policy, self._tick, self._clock = policy or RestartPolicy(), tick_s, clock
        self._signals: list[int] = []  # received, not yet forwarded
        self._stopping: set[int] = set()  # signals forwarded: a member ended by one of them stopped cleanly
        self._gave_up = False

    def signal(self, signum: int) -> None:
        """Ask for a stop: ``signum`` is forwarded to every member at the next tick (safe in a signal handler)."""
        self._signals.append(signum)

    @property
    def pids(self) -> dict[int, int]:
        """Each running member's pid, by index."""
        return {s.member.index: s.process.pid for s in self._slots if s.process is not None}

    def run(self) -> int:
        """Start the members and watch them; the exit status once all have exited after a stop or a give-up."""
        clean = True
        while True:
            self._forward()
            for slot in self._slots:
                clean &= self._watch(slot)
            if self._stopping and all(slot.process is None for slot in self._slots):
                return GAVE_UP if self._gave_up else 0 if clean else 1
            time.sleep(self._tick)

    def _forward(self) -> None:
        while self._signals:
            signum = self._signals.pop(0)
            log.info("supervisor.stopping", reason=signal.Signals(signum).name, processes=len(self.pids))
            self._stopping.add(signum)
            for slot in self._slots:
                slot.due = None  # no restart after a stop
                if slot.process is not None:
                    slot.process.send_signal(signum)

    def _watch(self, slot: _Slot) -> bool:
        """Start, restart or reap one member; False if it exited uncleanly during a stop."""
        now = self._clock()
        if slot.process is None:
            if slot.due is not None and now >= slot.due:
                self._start(slot, now)
            return True
        code = slot.process.poll()
        if code is None:
            return True
        pid, slot.process = slot.process.pid, None
        if self._stopping:
            log.info("supervisor.member_stopped", member=slot.member.index, pid=pid, code=code)
            return code == 0 or -code in self._stopping
        self._died(slot, pid, code, now)
        return True

    def _died(self, slot: _Slot, pid: int, code: int, now: float) -> None:
        """A member exited unasked: restart it after its wait, or give up on a crash loop."""
        slot.streak = 1 if now - slot.started >= self._policy.healthy_s else slot.streak + 1
        if slot.streak > self._policy.max_restarts:
            log.error("supervisor.gave_up", member=slot.member.index, pid=pid, code=code, attempt=slot.streak)
            self._gave_up = True
            self.signal(signal.SIGTERM)
            return
        wait = self._policy.wait(slot.streak)
        log.warning("supervisor.member_died", member=slot.member.index, pid=pid, code=code, seconds=wait)
        slot.due = now + wait

    def _start(self, slot: _Slot, now: float) -> None:
        member = slot.member
        env = None if member.env is None else dict(member.env)
        slot.process, slot.started, slot.due = subprocess.Popen(member.argv, env=env), now, None
        log.info("supervisor.member_started", member=member.index, pid=slot.process.pid, attempt=slot.streak + 1)


def supervise(members: Sequence[Member], policy: RestartPolicy | None = None) -> int:
    """Run ``members`` under a ``Supervisor`` with SIGTERM and SIGINT forwarded to them; its exit status."""
    supervisor = Supervisor(members, policy)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda received, _frame: supervisor.signal(received))
    log.info("supervisor.started", processes=len(members))
    return supervisor.run()
