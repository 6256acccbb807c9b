"""The overview's history: a sample of its figures every ``EVERY_S`` seconds, the last ``KEEP`` of them, in memory.

A sample is what the overview shows at one time: each side's total lag (None when Kafka could not be
read), the ledger's count of events by outcome, and the events waiting in the DLQ. The ``Sampler``
thread, started with the console (``consumers.web.app``), takes one from the overview's own gathering
(``overview.Cached``), so a sample costs what a page load costs, and no page load costs a sample. The
counts are totals; the throughput chart shows their rise per minute between samples (a redrive or a
discard may lower a total: that is drawn as 0, not a negative rate).

Kept in the process, not in PostgreSQL: the charts are a glance at the last hours, every ``run`` pod
reads the same figures, and Prometheus (``/metrics``, the Grafana dashboard) keeps the long history.
So a restarted console starts its charts afresh, and nothing is written for them.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Protocol

import structlog

from consumers.web.chart import LineChart, Point, line_chart
from consumers.web.overview import Overview

log = structlog.get_logger("pics_sync.console")

EVERY_S = 60.0
KEEP = timedelta(hours=6)
OUTCOMES = ("applied", "skipped", "parked")  # the throughput chart's lines: what the ledger records


@dataclass(frozen=True)
class Sample:
    """The overview's figures at one time."""

    at: datetime
    lag: Mapping[str, int | None]  # side → unconsumed events on its partitions; None: Kafka unreadable
    processed: Mapping[str, int]  # outcome → events the ledger holds with it
    parked: int  # events waiting in the DLQ (sync.parked_events on the watched topics)

    @classmethod
    def of(cls, figures: Overview) -> Sample:
        """The sample of one gathering."""
        lag = {g.side: None if g.error else g.lag for g in figures.report.groups}
        processed = {outcome: c.total for outcome, c in figures.counts.items()}
        return cls(figures.report.checked_at, lag, processed, figures.report.parked_total)


class Samples:
    """The newest samples, as many as ``keep`` holds at one every ``every_s``; safe across threads."""

    def __init__(self, every_s: float = EVERY_S, keep: timedelta = KEEP) -> None:
        self.every_s, self.keep = every_s, keep
        self._ring: deque[Sample] = deque(maxlen=max(2, int(keep.total_seconds() // every_s)))
        self._lock = threading.Lock()

    def add(self, sample: Sample) -> bool:
        """Keep ``sample`` unless it is the newest already (the same gathering); True when kept."""
        with self._lock:
            if self._ring and self._ring[-1].at >= sample.at:
                return False
            self._ring.append(sample)
            return True

    def all(self) -> list[Sample]:
        """Every sample kept, oldest first."""
        with self._lock:
            return list(self._ring)


class Figures(Protocol):
    """The overview's gathering, as ``overview.Cached`` offers it."""

    def get(self) -> Overview: ...

    def forget(self) -> None: ...


class Sampler:
    """A daemon thread that adds a sample of ``figures`` to ``samples`` every ``samples.every_s`` seconds."""

    def __init__(self, figures: Figures, samples: Samples) -> None:
        self._figures, self._samples = figures, samples
        self._stop = threading.Event()

    def take(self) -> None:
        """One sample, of figures gathered now; a gathering that fails is logged and skipped."""
        self._figures.forget()  # a sample is of now, not of the figures a page load left a few seconds ago
        try:
            self._samples.add(Sample.of(self._figures.get()))
        except Exception as failed:  # the charts miss a point; the sync goes on
            log.warning("console.sample_failed", error=type(failed).__name__)

    @contextmanager
    def running(self) -> Iterator[Sampler]:
        """Sample until the block ends."""
        thread = threading.Thread(target=self._run, name="console-sampler", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            thread.join(10)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.take()
            self._stop.wait(self._samples.every_s)


# --- The charts of the samples ---


def charts(samples: Sequence[Sample], every_s: float) -> dict[str, LineChart]:
    """The overview's three charts: lag per side, events a minute per outcome, events in the DLQ."""
    gap = timedelta(seconds=every_s * 2.5)  # a missed sample or two is joined; a longer outage is not
    sides = list(dict.fromkeys(side for s in samples for side in s.lag))  # push first, as status lists them
    lag = {side: [(s.at, s.lag.get(side)) for s in samples] for side in sides}
    parked: dict[str, list[Point]] = {"dlq": [(s.at, s.parked) for s in samples]}
    return {"lag": line_chart(lag, gap), "throughput": line_chart(rates(samples), gap),
            "parked": line_chart(parked, gap)}  # fmt: skip


def rates(samples: Sequence[Sample]) -> dict[str, list[Point]]:
    """Outcome → events a minute between each sample and the one before it, at the later one's time."""
    pairs = list(pairwise(samples))
    return {outcome: [(b.at, _per_minute(a, b, outcome)) for a, b in pairs] for outcome in OUTCOMES}


def _per_minute(a: Sample, b: Sample, outcome: str) -> float:
    minutes = (b.at - a.at).total_seconds() / 60
    rise = b.processed.get(outcome, 0) - a.processed.get(outcome, 0)
    return round(max(0, rise) / minutes, 2) if minutes > 0 else 0.0
