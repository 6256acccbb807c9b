"""A bounded map for what a long-running process remembers: the least recently used entry goes first.

A consumer that runs for months sees, in time, every learner, employer and assessor PICS holds; what
it remembers of them must stay within a size an operator chose, however many there are. Thread-safe:
the workers share one. ``cachetools.LRUCache`` would do but is no dependency of ours, and
``functools.lru_cache`` would also remember "not found", which callers here must always ask again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Lru(Generic[K, V]):
    """At most ``size`` entries (0: none kept); reading or writing an entry makes it the most recent."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The value held for ``key``, if any."""
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        """Hold ``value`` for ``key``, forgetting the least recently used entries beyond ``size``."""
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def forget(self, key: K) -> None:
        """Hold nothing for ``key`` any more."""
        with self._lock:
            self._entries.pop(key, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
