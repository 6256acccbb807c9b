"""SA's connections pooled per thread: each thread keeps to one small pool; the pools keep to the cap."""

from __future__ import annotations

import threading
from collections import Counter

import httpx
import pytest

from sync_core.smart_assessor.pools import ThreadShardedTransport, sharded_transport


def recording_pools(count: int, seen: list[tuple[int, str]]) -> list[httpx.BaseTransport]:
    """Fake pools that note (pool, thread) for every request they get."""

    def pool(number: int) -> httpx.MockTransport:
        def answer(_request: httpx.Request) -> httpx.Response:
            seen.append((number, threading.current_thread().name))  # idents are reused, names are not
            return httpx.Response(200, json={})

        return httpx.MockTransport(answer)

    return [pool(number) for number in range(count)]


def test_each_thread_keeps_to_one_pool_and_threads_are_dealt_out_in_turn() -> None:
    seen: list[tuple[int, str]] = []
    with httpx.Client(transport=ThreadShardedTransport(recording_pools(3, seen))) as client:

        def three_calls() -> None:
            for _ in range(3):
                client.get("http://sa.test/learners/1")

        threads = [threading.Thread(target=three_calls) for _ in range(6)]
        for thread in threads:
            thread.start()
            thread.join()  # one at a time: the turn order is the start order
    pools_of = {thread: {pool for pool, t in seen if t == thread} for _pool, thread in seen}
    assert all(len(pools) == 1 for pools in pools_of.values())  # a thread never changes pool
    assert Counter(pool for pool, _thread in set(seen)) == {0: 2, 1: 2, 2: 2}  # six threads, dealt evenly


@pytest.mark.parametrize(("cap", "pools"), [(1, 1), (2, 1), (7, 3), (32, 16), (44, 22)])
def test_the_pools_hold_the_cap_in_all(cap: int, pools: int) -> None:
    transport = sharded_transport(cap)
    sizes = [pool._pool._max_connections for pool in transport._pools]  # type: ignore[attr-defined]
    assert (len(sizes), sum(sizes)) == (pools, cap)
    assert max(sizes) - min(sizes) <= 1
    transport.close()


def test_no_pool_is_refused() -> None:
    with pytest.raises(ValueError):
        ThreadShardedTransport([])
