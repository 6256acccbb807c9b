"""Calls that show whether they were made at once: each waits (briefly) for the others to be in flight."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import wraps
from typing import Any


class Overlap:
    """Counts the wrapped calls in flight at once (``most``). Each call waits up to ``wait_s`` until ``wanted``
    are in flight, so calls made in turn show 1 (each waits alone, then goes on) and calls made at once show
    them all."""

    def __init__(self, wanted: int, wait_s: float = 0.5) -> None:
        self.wanted, self.wait_s = wanted, wait_s
        self.most = 0
        self._in_flight = 0
        self._met = False
        self._changed = threading.Condition()

    def wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(fn)
        def overlapping(*args: Any, **kwargs: Any) -> Any:
            with self._changed:
                self._in_flight += 1
                self.most = max(self.most, self._in_flight)
                self._met = self._met or self._in_flight >= self.wanted
                self._changed.notify_all()
                self._changed.wait_for(lambda: self._met, timeout=self.wait_s)
            try:
                return fn(*args, **kwargs)
            finally:
                with self._changed:
                    self._in_flight -= 1

        return overlapping
