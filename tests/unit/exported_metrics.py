"""What the program's ``/metrics`` exposes: every family ``run`` and ``pull daily`` register, with its labels.

Built from the real classes, the way ``consumers.web.app`` wires them (``watch_consumer`` for ``run``),
on a fake loop and no database: names and label names only, never values.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry
from prometheus_client.metrics import MetricWrapperBase

from consumers.metrics import DriftMetrics, EventMetrics, Metrics, PullMetrics, watch_consumer
from sync_core.smart_assessor.circuit import CircuitBreaker

_SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}
# Served by every process's registry besides ours (``Metrics``' process collectors), and Prometheus's own.
BUILT_IN = ("process_", "python_", "up", "scrape_")


@dataclass(frozen=True)
class Family:
    """A metric family as a scrape shows it: its name (a counter's with ``_total``), type and label names."""

    name: str
    type: str
    labels: frozenset[str]

    @property
    def series(self) -> tuple[str, ...]:
        """The sample names a query may use: a histogram's ``_bucket``, ``_sum`` and ``_count``."""
        base = self.name.removesuffix("_total")
        return tuple(base + suffix for suffix in _SUFFIXES.get(self.type, ("",)))


class _Loop:
    def __init__(self) -> None:
        self.consumer, self.partition_progress, self.topics = object(), {}, ["pics.learner"]
        self.tracker, self.breaker = type("Tracker", (), {"pending": 0})(), CircuitBreaker()


def _registry() -> CollectorRegistry:
    metrics = Metrics(CollectorRegistry())
    EventMetrics(metrics)
    DriftMetrics(metrics)
    PullMetrics(metrics)
    watch_consumer(metrics, _Loop(), None)  # type: ignore[arg-type]
    return metrics.registry


def exported() -> dict[str, Family]:
    """Every family ``/metrics`` can show, by its exposed name."""
    families: dict[str, Family] = {}
    for collector in _registry()._collector_to_names:
        if isinstance(collector, MetricWrapperBase):
            kind = collector._type
            name = collector._name + ("_total" if kind == "counter" else "")
            families[name] = Family(name, kind, frozenset(collector._labelnames))
        else:
            for metric in collector.describe():  # type: ignore[attr-defined]
                families[metric.name] = Family(metric.name, metric.type, frozenset(getattr(metric, "_labelnames", ())))
    return families


def series_names() -> set[str]:
    """Every sample name a PromQL expression may name."""
    return {series for family in exported().values() for series in family.series}
