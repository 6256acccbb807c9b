"""The push consumer running in a thread, already in its group, for a bench to time work it hands it.

``serving`` starts the runtime (``ParallelLoop``) on the service's push topics and returns once the
consumer owns its partitions, so joining the group is never timed. ``Serving.wait_for(n)`` blocks
until ``n`` events in all have an outcome (recorded in the ledger: the observer hears of an event
after ``process`` returned), which is "drained" for work whose size the bench knows.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from consumers.kafka.clients import make_consumer
from consumers.loop import ParallelLoop
from consumers.metrics import state_of, watched
from consumers.service import Service
from sync_core.config import kafka_settings
from sync_core.outcome import Outcome
from sync_core.pipeline.routes import PUSH_TOPICS

JOIN_TIMEOUT_S = 60.0


@dataclass
class Serving:
    """Outcomes the running consumer has reached so far, by kind."""

    outcomes: Counter[str] = field(default_factory=Counter)
    failure: BaseException | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _changed: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self._changed = threading.Condition(self._lock)

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.outcomes.values())

    def observe(self, _delivery: Any, outcome: Outcome) -> None:
        with self._changed:
            self.outcomes[outcome.kind.value] += 1
            self._changed.notify_all()

    def stopped(self, failure: BaseException | None) -> None:
        with self._changed:
            self.failure = failure
            self._changed.notify_all()

    def wait_for(self, total: int, timeout: float = 3600.0) -> None:
        """Block until ``total`` events have an outcome; RuntimeError if the consumer stopped or time ran out."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while sum(self.outcomes.values()) < total:
                if self.failure is not None:
                    raise RuntimeError(f"the push consumer stopped: {self.failure!r}")
                if not self._changed.wait(max(0.0, deadline - time.monotonic())):
                    raise RuntimeError(f"{sum(self.outcomes.values())} of {total} events done in {timeout} s")


@contextmanager
def serving(service: Service) -> Iterator[Serving]:
    """The push consumer of ``service`` in a thread, in its group with partitions assigned; stopped on exit."""
    config, figures, stop = service.config, Serving(), threading.Event()
    consumer = watched(make_consumer(kafka_settings(config), config.kafka_group_id))
    loop = ParallelLoop(consumer, service.ports, concurrency=config.workers, observe=figures.observe)
    loop.subscribe([config.topic_prefix + t for t in PUSH_TOPICS])

    def run() -> None:
        failure: BaseException | None = None
        try:
            loop.run(stop)
        except BaseException as failed:  # reported to the waiting bench, not lost in the thread
            failure = failed
        finally:
            figures.stopped(failure)

    thread = threading.Thread(target=run, name="bench-push-consumer", daemon=True)
    thread.start()
    try:
        _joined(consumer, figures)
        yield figures
    finally:
        stop.set()
        thread.join()
        consumer.close()


def _joined(consumer: Any, figures: Serving) -> None:
    """Wait until the consumer owns partitions (the poll thread's copy of its state shows their lags)."""
    deadline = time.monotonic() + JOIN_TIMEOUT_S
    while not state_of(consumer).lags:
        if figures.failure is not None or time.monotonic() > deadline:
            raise RuntimeError("the push consumer did not join its group")
        time.sleep(0.05)
