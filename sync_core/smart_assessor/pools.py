"""Connection pools shared out among threads: each request searches a pool of two connections, not of all.

httpcore's pool looks at every connection it holds on each request and again when each response
closes (idle? expired? readable?). With 32 worker threads on one pool that search cost more CPU
than the rest of the request (BENCHMARKS.md). A sync client makes one call at a time per thread,
so each thread keeps to one small pool, dealt out in turn on its first call; the pools together
hold no more connections than the cap.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence

import httpx

CONNECTIONS_PER_POOL = 2


class ThreadShardedTransport(httpx.BaseTransport):
    """Sends each thread's requests through one of ``pools``, the same one for the thread's life."""

    def __init__(self, pools: Sequence[httpx.BaseTransport]) -> None:
        if not pools:
            raise ValueError("at least one pool is needed")
        self._pools = list(pools)
        self._turn = itertools.count()  # next() on it is atomic: threads may take turns at once
        self._local = threading.local()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        pool: httpx.BaseTransport | None = getattr(self._local, "pool", None)
        if pool is None:
            pool = self._local.pool = self._pools[next(self._turn) % len(self._pools)]
        return pool.handle_request(request)

    def close(self) -> None:
        for pool in self._pools:
            pool.close()


def sharded_transport(max_connections: int) -> ThreadShardedTransport:
    """Pools of about ``CONNECTIONS_PER_POOL`` connections, ``max_connections`` in all."""
    count = max(1, max_connections // CONNECTIONS_PER_POOL)
    sizes = [max_connections // count + (1 if n < max_connections % count else 0) for n in range(count)]
    limits = [httpx.Limits(max_connections=size, max_keepalive_connections=size) for size in sizes]
    return ThreadShardedTransport([httpx.HTTPTransport(limits=each) for each in limits])
