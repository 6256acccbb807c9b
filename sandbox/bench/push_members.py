"""``pics-sync bench push --processes 1,2[,4…]``: the runtime with N members of one consumer group, per N.

For each N the bench runs, each in an arena of its own (``sandbox.bench.arena``: its own database,
topics and reset sandbox, the learners enrolled beforehand, untimed):

- **runtime**: the real ``pics-sync run --processes N`` as a process of its own (with N = 1 one process;
  above, the supervisor and its N members), on the arena's database, topics and group, with the whole
  SA cap (``PICS_SYNC_SA_MAX_CONCURRENCY``), which the supervisor divides among the members
  (``consumers.supervisor.budget``). Once the group is stable with N members owning every partition,
  ``WARMUP_EVENTS`` changes are sent and waited for (pools, SA token, first calls: the set-up warms the
  single-process contenders the same way); then the members are paused (SIGSTOP), the backlog is sent,
  and the clock starts as they are resumed (SIGCONT): like the single-process contenders, they start
  with the backlog in place and the group joined. It ends at the last ``processed_at`` the ledger
  holds. Its CPU is every process's (supervisor and members) user + system time over that span
  (psutil), per event.
- **floor**: N processes of ``sandbox.bench.floor_member`` (decode and PATCH, no order, ledger or
  hash), each with its share of the same cap, warmed and timed the same way; each member reports
  every event's end on stdout.
- the naive loop once (it needs no N: it waits on SA's latency).

In the first runtime turn of each N, after the backlog and with the same members, the bench offers
the runtime a steady 200 events/s (``steady_events`` of them), then searches for the highest offered
rate it sustains with a p99 under 100 ms: doubling from 200 while a step passes (halving when 200
fails), then up to two bisections, ``search_steps`` steps in all, of ``search_seconds`` each. A step
passes when the bench sent at the rate asked (within 5%), every event was done within ``GRACE_S`` of
the last one sent, and the p99 from sending to the ledger's ``processed_at`` was under 100 ms. Each
step drains before the next.

With ``repeat`` above one the runtime's and the floor's backlog turns run that many times per N,
taking turns, and each reports its median turn by events/s. The processes and their progress are
``sandbox.bench.members``'; the offered load and the search, ``sandbox.bench.offered``'s.
"""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from consumers.supervisor import budget, member_environment
from sandbox.bench.arena import Arena, arena, changes
from sandbox.bench.members import LedgerClock, Members, Progress, stack_environment, started, wait_done
from sandbox.bench.offered import DRAIN_TIMEOUT_S, Search, search_rates
from sandbox.bench.push import machine_speed, measure, median_by, naive
from sandbox.stack.local import Stack
from sync_core.config import RuntimeConfig

WARMUP_EVENTS = 50  # sent and done before each backlog's clock starts
_RUN = ("-c", "import sys; from consumers.cli import main; sys.exit(main(sys.argv[1:]))")  # `pics-sync`


@dataclass
class Turn:
    """One backlog turn of a contender at N members."""

    events: int
    seconds: float
    cpu_s: float
    client_ids: list[str]
    heartbeats: int = 0  # distinct member ids that beat (the runtime only)

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


def _backlog(ground: Arena, members: Members, events: int, progress: Progress) -> tuple[float, float]:
    """Warm the members up, pause them, send ``events`` changes, resume them and time them until the last is
    done; (seconds, CPU seconds of the members over them)."""
    warm = _warm_up(ground, members, progress)
    pending = changes(ground.world, events)
    members.signal_all(signal.SIGSTOP)
    try:
        ground.sender.send_all(pending)
    finally:
        cpu_before = members.cpu_s()
        began = time.time()
        members.signal_all(signal.SIGCONT)
    wait_done(members, progress, warm + events, DRAIN_TIMEOUT_S + events / 10)
    return progress.last_at() - began, members.cpu_s() - cpu_before


def _warm_up(ground: Arena, members: Members, progress: Progress) -> int:
    """``WARMUP_EVENTS`` changes, waited for: each member's pools, SA token and first calls are made before the
    clock starts, as the single-process contenders' are by the set-up. The events done so far."""
    ground.sender.send_all(changes(ground.world, WARMUP_EVENTS))
    wait_done(members, progress, WARMUP_EVENTS, DRAIN_TIMEOUT_S)
    return progress.count()


def runtime_turn(
    stack: Stack, base: RuntimeConfig, count: int, *, events: int, learners: int, concurrency: int,
    steady_events: int = 0, search_seconds: float = 0.0, search_steps: int = 0,
) -> tuple[Turn, Search | None]:  # fmt: skip
    """``pics-sync run --processes count`` over a backlog of ``events``; with ``steady_events``, then the
    steady phase and the max-rate search with the same members."""
    with arena(stack, base, learners, concurrency) as ground:
        config = ground.service.config
        command = (sys.executable, *_RUN, "run", "--processes", str(count))
        with started([(command, stack_environment(config))], config, count, lines=False) as (members, ids):
            ledger = LedgerClock(ground.service.pool)
            seconds, cpu = _backlog(ground, members, events, ledger)
            turn = Turn(events, seconds, cpu, ids, heartbeats=_heartbeats(ground))
            search = None
            if steady_events:
                search = search_rates(ground, members, ledger, steady_events, search_seconds, search_steps)
    return turn, search


def floor_turn(stack: Stack, base: RuntimeConfig, count: int, *, events: int, learners: int, concurrency: int) -> Turn:
    """``count`` floor members, each with its share of the cap, over a backlog of ``events``."""
    with arena(stack, base, learners, concurrency) as ground:
        config = ground.service.config
        env = stack_environment(config)
        commands = [
            (
                (sys.executable, "-m", "sandbox.bench.floor_member", str(i)),
                member_environment(env, budget(config, count, i)),
            )
            for i in range(count)
        ]
        with started(commands, config, count, lines=True) as (members, ids):
            seconds, cpu = _backlog(ground, members, events, members)
    return Turn(events, seconds, cpu, ids)


def _heartbeats(ground: Arena) -> int:
    """Distinct consumer processes that beat in the arena's database (each member's id names its pid)."""
    with ground.service.pool.connection() as conn:
        row = conn.execute(
            "SELECT count(DISTINCT member_id) FROM sync.consumer_heartbeats WHERE group_id = %s AND side = 'push'",
            (ground.service.config.kafka_group_id,),
        ).fetchone()
    return int(row[0]) if row else 0


def _median(turns: list[Turn]) -> Turn:
    return median_by(turns, lambda turn: turn.events_per_s)


def bench_push_processes(
    stack: Stack, base: RuntimeConfig, *, processes: Sequence[int], events: int, learners: int, latency: float,
    concurrency: int, steady_events: int = 2000, search_seconds: float = 4.0, search_steps: int = 6,
    repeat: int = 1,
) -> dict[str, Any]:  # fmt: skip
    """Per N in ``processes``: the runtime with N members beside the floor with N processes, the naive
    loop once; the steady phase and the max-rate search per N (see the module's docstring)."""
    assert stack.sa is not None
    sizes = {"events": events, "learners": learners, "concurrency": concurrency}
    speed = machine_speed()
    stack.sa.configure(latency_ms=latency, rate_limit_per_s=None, error_rate=0.0, timeout_rate=0.0)
    per_n: dict[str, dict[str, Any]] = {}
    try:
        naive_figures = measure(stack, base, naive, **sizes | {"events": min(events, max(100, events // 10))})
        naive_eps = naive_figures.as_dict()["events_per_s"]
        for count in processes:
            runtime_turns, floor_turns, search = [], [], None
            for n in range(repeat):
                turn, found = runtime_turn(
                    stack, base, count, **sizes, steady_events=steady_events if n == 0 else 0,
                    search_seconds=search_seconds, search_steps=search_steps,
                )  # fmt: skip
                runtime_turns.append(turn)
                search = search or found
                floor_turns.append(floor_turn(stack, base, count, **sizes))
            assert search is not None
            per_n[str(count)] = _figures(
                _median(runtime_turns), _median(floor_turns), search, naive_eps, base, concurrency, count
            )
    finally:
        stack.sa.configure(latency_ms=0)
    report: dict[str, Any] = {"naive": naive_figures.as_dict(), "processes": per_n}
    if "1" in per_n:
        for members, figures in per_n.items():
            if members != "1" and per_n["1"]["events_per_s"]:
                report[f"scale_{members}_over_1"] = round(figures["events_per_s"] / per_n["1"]["events_per_s"], 2)
    return report | {
        "machine_speed_ops_per_s": speed,
        "events": events,
        "steady_events": steady_events,
        "sa_max_concurrency": concurrency,
        "sa_latency_ms": latency,
        "repeat": repeat,
    }


def _figures(
    runtime: Turn, floor: Turn, search: Search, naive_eps: float, base: RuntimeConfig, concurrency: int, count: int
) -> dict[str, Any]:
    share = budget(base.model_copy(update={"sa_max_concurrency": concurrency}), count, 0)
    member_config = base.model_copy(update={"sa_max_concurrency": share.sa_max_concurrency})
    return {
        "events_per_s": round(runtime.events_per_s, 1),
        "ratio_vs_floor": round(runtime.events_per_s / floor.events_per_s, 2) if floor.events_per_s else 0.0,
        "ratio_vs_naive": round(runtime.events_per_s / naive_eps, 1) if naive_eps else 0.0,
        "cpu_ms_per_event": round(runtime.cpu_s * 1000 / runtime.events, 3),
        "p99_ms_at_200": search.at_200.as_dict()["p99_ms"],
        "max_rate_p99_under_100ms": round(search.max_rate, 1),
        "max_rate_is_lower_bound": search.lower_bound,
        "p50_ms_at_200": search.at_200.as_dict()["p50_ms"],
        "completed_per_s_at_200": search.at_200.as_dict()["completed_per_s"],
        "slowest_send_ms_at_200": search.at_200.as_dict()["slowest_send_ms"],
        "p99_ms_at_200_by_event": {kind: round(ms, 1) for kind, ms in search.at_200.p99_ms_by_event.items()},
        "floor_events_per_s": round(floor.events_per_s, 1),
        "floor_cpu_ms_per_event": round(floor.cpu_s * 1000 / floor.events, 3),
        "members": count,
        "member_client_ids": runtime.client_ids,
        "member_heartbeats": runtime.heartbeats,
        "member_sa_max_concurrency": share.sa_max_concurrency,
        "member_workers": member_config.workers,
        "search": [step.as_dict() for step in search.steps],
    }
