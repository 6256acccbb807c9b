"""``pics-sync bench pull``: the daily pull over many learners against a slow, rate-limited SA.

The floor is what no client can beat: the SA calls the pull needs divided by SA's rate limit. The
figure that matters is the run time over that floor (target: within 10%).
"""

from __future__ import annotations

import math
import time
import uuid
from datetime import date
from typing import Any

from pydantic import SecretStr

from consumers.ops.daily_pull import PullOptions, daily_pull
from consumers.service import open_service
from sandbox.pics.pull_seed import seed_pull_learners
from sandbox.sa.process import SaSandboxProcess
from sandbox.stack.local import Stack
from sandbox.stack.postgres import fresh_database
from sync_core.config import RuntimeConfig


def _api_calls(sa: SaSandboxProcess) -> tuple[int, int]:
    """(SA API calls but token requests, of which refused with 429) so far."""
    counts = sa.calls()["counts"]
    total = sum(n for route, n in counts.items() if route != "POST /auth/token")
    limited = sum(1 for c in sa.calls()["log"] if c["status"] == 429)
    return total, limited


def bench_pull(stack: Stack, base: RuntimeConfig, *, learners: int, rate: float, latency_ms: float) -> dict[str, Any]:
    """Seed, slow SA down, run one daily pull, and compare its time with the floor."""
    sa = stack.sa
    assert sa is not None, "the bench needs the SA sandbox"
    config = base.model_copy(update={
        "database_url": SecretStr(fresh_database(stack.database_url)), "topic_prefix": f"bench-{uuid.uuid4().hex[:8]}.",
    })  # fmt: skip
    sa.reset()
    with open_service(config) as service:
        seed_pull_learners(service.pool, sa, learners, "B")
    sa.configure(latency_ms=latency_ms, rate_limit_per_s=rate, error_rate=0.0, timeout_rate=0.0)
    concurrency = math.ceil(rate * latency_ms / 1000 * 2) + 4  # twice the calls in flight the rate needs
    before, limited_before = _api_calls(sa)
    started = time.monotonic()
    with open_service(config) as service:
        run = daily_pull(
            service, PullOptions(run_date=date.today(), rate_per_s=rate, concurrency=concurrency, chunk=1000)
        )
    seconds = time.monotonic() - started
    calls, limited = _api_calls(sa)
    sa.configure(latency_ms=0, rate_limit_per_s=None)
    floor = (calls - before) / rate
    return {
        "learners": learners, "calls": calls - before, "seconds": round(seconds, 2), "floor_seconds": round(floor, 2),
        "ratio_to_floor": round(seconds / floor, 3), "rate_limit_per_s": rate, "latency_ms": latency_ms,
        "concurrency": concurrency, "events": run["events"], "refused_429": limited - limited_before,
    }  # fmt: skip
