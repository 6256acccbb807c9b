"""One database read for the same kind of question that many workers ask at once.

Each worker's X1 check is a lookup by key, and under load several are asked while one is in flight;
each round trip costs more CPU in the client than the rows it brings (BENCHMARKS.md). So the first to
ask reads for itself; whoever asks while that read is in flight waits, and the first of them then
reads once for all who waited, with the union of their keys. An answer is never older than its
question: a read answers only those who asked before it started.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _Question(Generic[K, V]):
    def __init__(self, keys: Sequence[K]) -> None:
        self.keys = keys
        self.turn = threading.Event()  # answered, or this asker reads next
        self.answered = False
        self.found: Mapping[K, V] = {}
        self.error: BaseException | None = None

    def settle(self, found: Mapping[K, V], error: BaseException | None) -> None:
        self.found, self.error, self.answered = found, error, True
        self.turn.set()

    def answer(self) -> dict[K, V]:
        if self.error is not None:
            raise self.error
        return {key: self.found[key] for key in self.keys if key in self.found}


class Coalesced(Generic[K, V]):
    """``ask(keys)``: what ``read`` finds of those keys, one read serving every question asked meanwhile."""

    def __init__(self, read: Callable[[list[K]], Mapping[K, V]]) -> None:
        self._read = read
        self._lock = threading.Lock()
        self._waiting: list[_Question[K, V]] = []
        self._reading = False

    def ask(self, keys: Sequence[K]) -> dict[K, V]:
        """The entries ``read`` finds for ``keys`` (a key it does not find is absent); its error, if it fails."""
        question: _Question[K, V] = _Question(keys)
        with self._lock:
            self._waiting.append(question)
            leads = not self._reading
            self._reading = True
        if not leads:
            question.turn.wait()
        if not question.answered:
            self._read_for_all()
        return question.answer()

    def _read_for_all(self) -> None:
        with self._lock:
            questions, self._waiting = self._waiting, []
        keys = list(dict.fromkeys(key for question in questions for key in question.keys))
        found: Mapping[K, V] = {}
        error: BaseException | None = None
        try:
            found = self._read(keys)
        except BaseException as failed:  # each asker meets it, as it would have alone
            error = failed
        for question in questions:
            question.settle(found, error)
        with self._lock:
            if self._waiting:
                self._waiting[0].turn.set()  # the first who waited reads next, for all who wait
            else:
                self._reading = False
