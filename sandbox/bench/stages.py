"""Where the runtime's CPU goes, stage by stage: each thread's CPU time inside the product's own calls.

While a ``StageClock`` is on, the methods ``STAGES`` names are wrapped (on their classes, so every
instance in the process counts) to add the calling thread's CPU time (``time.thread_time``) to their
stage. Time is exclusive: a stage entered inside another (the ledger question inside the poll) is
taken out of the outer one. Whatever the process spent outside them all (rules, the executor's
planning and hashing, Kafka's own threads, logging, the interpreter switching threads) is ``rest``:
the process's CPU over the same span less the stages.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any

import psutil

from consumers.loop import ParallelLoop
from sync_core.serde.avro import AvroSerde
from sync_core.smart_assessor.client import SaClient
from sync_core.state.ledger import Ledger

# stage → the (class, method) whose calls it counts
STAGES: dict[str, tuple[tuple[type, str], ...]] = {
    "decode": ((AvroSerde, "decode"),),
    "ledger": ((Ledger, "priors"), (Ledger, "prior")),  # admission's question
    "x1": ((Ledger, "holding"),),
    "sa_call": ((SaClient, "_send"),),  # building the request, httpx, the answer's JSON
    "record": ((Ledger, "record"), (Ledger, "park")),
    "poll": ((ParallelLoop, "poll_once"),),  # the poll thread: fetch, dispatch, settle, store offsets
}


class StageClock:
    """CPU seconds by stage, gathered while ``running``; see the module docstring."""

    def __init__(self, stages: dict[str, tuple[tuple[type, str], ...]] | None = None) -> None:
        self._stages = STAGES if stages is None else stages
        self._spent: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._local = threading.local()

    @contextmanager
    def running(self) -> Iterator[None]:
        """Wrap the stages' methods for the block's length; the process's CPU over it is ``total``."""
        originals = [(cls, name, cls.__dict__[name]) for methods in self._stages.values() for cls, name in methods]
        for stage, methods in self._stages.items():
            for cls, name in methods:
                setattr(cls, name, self._timed(stage, cls.__dict__[name]))
        process = psutil.Process()
        before = process.cpu_times()
        try:
            yield
        finally:
            after = process.cpu_times()
            self._spent["total"] = (after.user + after.system) - (before.user + before.system)
            for cls, name, original in originals:
                setattr(cls, name, original)

    def ms_per_event(self, events: int) -> dict[str, float]:
        """Each stage's CPU milliseconds per event, ``rest`` and ``total``."""
        if not events:
            return {}
        spent = dict(self._spent)
        total = spent.pop("total", 0.0)
        figures = {stage: round(spent.get(stage, 0.0) * 1000 / events, 3) for stage in self._stages}
        figures["rest"] = round((total - sum(spent.values())) * 1000 / events, 3)
        figures["total"] = round(total * 1000 / events, 3)
        return figures

    def _timed(self, stage: str, method: Callable[..., Any]) -> Callable[..., Any]:
        local, spent, lock = self._local, self._spent, self._lock

        @wraps(method)
        def timed(*args: Any, **kwargs: Any) -> Any:
            inner = getattr(local, "inner", None)
            local.inner = [0.0]  # what stages entered inside this one spend
            started = time.thread_time()
            try:
                return method(*args, **kwargs)
            finally:
                elapsed = time.thread_time() - started
                own = elapsed - local.inner[0]
                local.inner = inner
                if inner is not None:
                    inner[0] += elapsed
                with lock:
                    spent[stage] += own

        return timed
