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
        self.error: Exception | None = None

    def settle(self, found: Mapping[K, V], error: Exception | None) -> None:
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
            try:
                question.turn.wait()
            except BaseException:  # interrupted while waiting: the others must not wait on it
                self._leave(question)
                raise
        if not question.answered:
            self._read_for_all(question)
        return question.answer()

    def _read_for_all(self, mine: _Question[K, V]) -> None:
        with self._lock:
            questions, self._waiting = self._waiting, []
        try:
            keys = list(dict.fromkeys(key for question in questions for key in question.keys))
            try:
                found = self._read(keys)
            except Exception as failed:  # each asker meets it, as it would have alone
                for question in questions:
                    question.settle({}, failed)
            else:
                for question in questions:
                    question.settle(found, None)
        finally:
            with self._lock:
                # An interrupt of this thread (KeyboardInterrupt, SystemExit) is its own: the others ask again,
                # first in line.
                self._waiting[:0] = [q for q in questions if not q.answered and q is not mine]
                self._hand_on()

    def _leave(self, question: _Question[K, V]) -> None:
        with self._lock:
            if question in self._waiting:
                self._waiting.remove(question)
            if question.turn.is_set() and not question.answered:
                self._hand_on()  # it had been given the turn: the next one takes it

    def _hand_on(self) -> None:
        """Under the lock: the first who waits reads next, for all who wait; none waiting, the next asker reads."""
        if self._waiting:
            self._waiting[0].turn.set()
        else:
            self._reading = False
