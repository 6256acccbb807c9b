"""Offered load for ``bench push --processes``: the runtime's members sent changes at a set rate, and the search
for the highest rate they sustain with a p99 under 100 ms (see ``sandbox.bench.push_members``)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.bench.arena import Arena, changes
from sandbox.bench.members import LedgerClock, Members
from sandbox.bench.push import p99

STEADY_RATE = 200.0  # events/s offered in the steady phase, and where the search starts
P99_LIMIT_MS = 100.0
GRACE_S = 2.0  # after a step's last event is sent, how long its events may take before they count as late
DRAIN_TIMEOUT_S = 120.0
BISECTIONS = 2


@dataclass
class Step:
    """One offered-rate step: what was offered and sent, and what the runtime made of it."""

    offered_per_s: float
    events: int
    sent_per_s: float
    done_in_time: int  # done within GRACE_S of the last one sent
    completed_per_s: float
    p50_ms: float
    p99_ms: float
    slowest_send_ms: float = 0.0  # the bench's longest send and flush: time in every latency it measures
    p99_ms_by_event: dict[str, float] = field(default_factory=dict)  # event type → its p99

    @property
    def sender_kept_up(self) -> bool:
        return self.sent_per_s >= 0.95 * self.offered_per_s

    @property
    def passed(self) -> bool:
        return self.sender_kept_up and self.done_in_time == self.events and self.p99_ms < P99_LIMIT_MS

    def as_dict(self) -> dict[str, Any]:
        return {
            "offered_per_s": round(self.offered_per_s, 1), "events": self.events,
            "sent_per_s": round(self.sent_per_s, 1), "done_in_time": self.done_in_time,
            "completed_per_s": round(self.completed_per_s, 1), "p50_ms": round(self.p50_ms, 1),
            "p99_ms": round(self.p99_ms, 1), "slowest_send_ms": round(self.slowest_send_ms, 1),
            "passed": self.passed,
        }  # fmt: skip


@dataclass
class Search:
    """The steady phase and the max-rate search of one N."""

    at_200: Step
    steps: list[Step] = field(default_factory=list)
    max_rate: float = 0.0
    lower_bound: bool = False  # the steps ran out before a step failed: the runtime may sustain more


def offer(ground: Arena, members: Members, ledger: LedgerClock, rate: float, events: int) -> Step:
    """Offer ``events`` changes at ``rate`` a second; each event's latency from its sending to its ledger row.

    Every event due is sent at once and flushed (one at a time at low rates, in small batches when
    the flush takes longer than the gap between events), so the bench never sends ahead of the clock.
    """
    pending, sent = changes(ground.world, events), dict[str, float]()
    journal = ground.sender.journal
    ledger.rebase()
    began, i, slowest_send = time.monotonic(), 0, 0.0
    while i < events:
        due = min(events, int((time.monotonic() - began) * rate) + 1)
        if due <= i:
            time.sleep(max(0.0, began + i / rate - time.monotonic()))
            continue
        at = time.time()  # occurred_at is stamped as each is encoded, within this call
        ground.sender.send_all(pending[i:due])
        slowest_send = max(slowest_send, time.time() - at)
        sent |= {s.event_id: at for s in journal.sent[-(due - i) :]}
        i = due
    sending = time.monotonic() - began
    sent_per_s = events / max(sending, (events - 1) / rate, 1e-6) if events > 1 else rate
    ledger.wait_for(events, members, GRACE_S)
    in_time = ledger.count()
    if not ledger.wait_for(events, members, DRAIN_TIMEOUT_S):  # drained before the next step
        raise RuntimeError(f"the runtime did {ledger.count()} of {events} offered events")
    done = ledger.done_at(list(sent))
    by_type: dict[str, list[float]] = {}
    for event_id, (at, kind) in done.items():
        by_type.setdefault(kind, []).append((at - sent[event_id]) * 1000)
    ordered = sorted(ms for latencies in by_type.values() for ms in latencies) or [0.0]
    first, last = min(sent.values()), max((at for at, _ in done.values()), default=0.0)
    return Step(
        rate, events, sent_per_s, in_time, len(done) / (last - first) if last > first else 0.0,
        statistics.median(ordered), p99(ordered), slowest_send * 1000,
        {kind: p99(sorted(ms)) for kind, ms in sorted(by_type.items())},
    )  # fmt: skip


def search_rates(
    ground: Arena, members: Members, ledger: LedgerClock, steady_events: int, seconds: float, steps: int
) -> Search:
    """The steady phase at 200 events/s, then the max-rate search (see the module's docstring)."""
    search = Search(offer(ground, members, ledger, STEADY_RATE, steady_events))

    def step(rate: float) -> bool:
        found = offer(ground, members, ledger, rate, max(20, round(rate * seconds)))
        search.steps.append(found)
        return found.passed

    search.max_rate, search.lower_bound = highest_rate(search.at_200.passed, step, steps)
    return search


def highest_rate(passed_at_200: bool, step: Callable[[float], bool], steps: int) -> tuple[float, bool]:
    """The highest rate that passed (0 if none), doubling from 200 while ``step`` passes (halving while it
    fails, when 200 failed), then up to ``BISECTIONS`` bisections, at most ``steps`` calls of ``step`` in
    all; and whether it is only a lower bound (no rate above it failed)."""
    low: float | None = STEADY_RATE if passed_at_200 else None
    high: float | None = None if passed_at_200 else STEADY_RATE
    tried = bisections = 0
    while (low is None or high is None) and tried < steps:
        rate = low * 2 if low is not None else (high or STEADY_RATE) / 2
        low, high, tried = (rate, high, tried + 1) if step(rate) else (low, rate, tried + 1)
    while low is not None and high is not None and bisections < BISECTIONS and tried < steps:
        rate = (low + high) / 2
        low, high, tried = (rate, high, tried + 1) if step(rate) else (low, rate, tried + 1)
        bisections += 1
    return low or 0.0, high is None
