"""``pics-sync bench replay``: replaying a stretch SA already holds must be fast and write nothing.

The bench builds the recovery case: learners enrolled, then ``events`` PICS changes (the demo's
mix) applied by the production runtime, so SA is in step with every event on the topics (untimed,
with the sandbox answering at once). Then, with the sandbox at its set latency, ``pics-sync replay``
reads every push topic from its start (its own group, the live group untouched) and applies it
through the same handlers. Figures: events read per second and the SA write calls it made (0 is
the target: the ledger knows every event, and coalescing and the pushed-state hashes would catch
the rest).
"""

from __future__ import annotations

import time
from typing import Any

from consumers.ops.replay import ReplayOptions, Summary, replay
from sandbox.bench.arena import arena, changes, drain
from sandbox.stack.local import Stack
from sync_core.config import RuntimeConfig
from sync_core.pipeline.routes import PUSH_TOPICS

_READS = ("GET",)


def sa_writes(stack: Stack) -> int:
    """SA calls so far that could change something (every method but GET), token requests aside."""
    assert stack.sa is not None
    counts = stack.sa.calls()["counts"]
    return sum(n for route, n in counts.items() if route.split()[0] not in _READS and route != "POST /auth/token")


def bench_replay(stack: Stack, base: RuntimeConfig, *, events: int, learners: int, latency: float) -> dict[str, Any]:
    """Bring SA in step with ``events`` changes, then replay them all; events/s and SA writes."""
    assert stack.sa is not None
    stack.sa.configure(latency_ms=0, rate_limit_per_s=None, error_rate=0.0, timeout_rate=0.0)
    with arena(stack, base, learners, concurrency=32) as ground:
        ground.sender.send_all(changes(ground.world, events))
        drain(ground.service, ground.topics(), f"{ground.service.config.kafka_group_id}-live")
        stack.sa.configure(latency_ms=latency)
        try:
            writes_before, started = sa_writes(stack), time.monotonic()
            summaries = [
                replay(ground.service.config, ground.service.ports, ReplayOptions(topic=name, progress=False))
                for name in PUSH_TOPICS
            ]
            seconds, writes = time.monotonic() - started, sa_writes(stack) - writes_before
        finally:
            stack.sa.configure(latency_ms=0)
    return _figures(summaries, seconds, writes) | {"learners": learners, "sa_latency_ms": latency}


def _figures(summaries: list[Summary], seconds: float, writes: int) -> dict[str, Any]:
    read = sum(s.read for s in summaries)
    return {
        "events": read,
        "events_per_s": round(read / seconds, 1) if seconds else 0.0,
        "sa_write_calls": writes,
        "sa_calls": sum(s.sa_calls for s in summaries),
        "duplicates": sum(s.as_dict()["duplicates"] for s in summaries),
        "coalesced": sum(s.coalesced for s in summaries),
        "applied": sum(s.as_dict()["applied"] for s in summaries),
        "seconds": round(seconds, 2),
    }
