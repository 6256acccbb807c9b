"""D3 metrics: the differences a process records, found by action and repaired, by entity, field and direction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from structlog.testing import capture_logs

from consumers.metrics import DriftMetrics, Metrics
from sync_core.drift.compare import Action, Difference
from sync_core.state.drift import DriftLog

RESOURCE = "learner:5b1f0c2e-0000-4000-8000-00000000c0de"


def found(field: str, action: Action, entity: str = "learner", direction: str = "push") -> Difference:
    return Difference(entity, RESOURCE, "L-1", field, direction, action)  # type: ignore[arg-type]


def sample(metrics: Metrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


@pytest.fixture
def metrics() -> Metrics:
    return Metrics(CollectorRegistry())


@pytest.mark.parametrize(
    ("action", "repaired"),
    [
        pytest.param("pushed", 1, id="D1-pushed-is-repaired"),
        pytest.param("pulled", 1, id="D1-pulled-is-repaired"),
        pytest.param("enrolled", 1, id="D2-enrolled-is-repaired"),
        pytest.param("reported", 0, id="D2-reported-is-found-not-repaired"),
        pytest.param("failed", 0, id="D3-failed-is-found-not-repaired"),
        pytest.param("would push", 0, id="D4-a-dry-runs-is-found-not-repaired"),
    ],
)
def test_d3_every_difference_counts_as_found_and_a_repair_as_repaired(
    metrics: Metrics, action: Action, repaired: int
) -> None:
    """D3: each recorded difference counts once under its action; pushed, pulled and enrolled count as repaired too."""
    DriftMetrics(metrics).observe([found("email", action)])
    labels = {"entity": "learner", "field": "email", "direction": "push"}
    assert sample(metrics, "pics_sync_drift_differences_total", **labels, action=action) == 1
    assert sample(metrics, "pics_sync_drift_repaired_total", **labels) == repaired


def test_d3_counts_add_up_per_entity_field_and_direction(metrics: Metrics) -> None:
    """D3: differences of one kind add up; another field, entity or direction is a series of its own."""
    drift = DriftMetrics(metrics)
    drift.observe([found("email", "pushed"), found("surname", "pushed")])
    drift.observe([found("email", "pushed"), found("first_name", "pulled", direction="pull"),
                   found("startDate", "failed", entity="enrolment")])  # fmt: skip
    assert sample(metrics, "pics_sync_drift_repaired_total", entity="learner", field="email", direction="push") == 2
    assert (
        sample(metrics, "pics_sync_drift_repaired_total", entity="learner", field="first_name", direction="pull") == 1
    )
    failed = {"entity": "enrolment", "field": "startDate", "direction": "push", "action": "failed"}
    assert sample(metrics, "pics_sync_drift_differences_total", **failed) == 1
    assert (
        sample(metrics, "pics_sync_drift_repaired_total", entity="enrolment", field="startDate", direction="push") == 0
    )


def test_d3_labels_name_fields_never_a_record_or_a_value(metrics: Metrics) -> None:
    """D3: a scrape shows the entity, field, direction and action of a difference, not its PICS record or SA id."""
    DriftMetrics(metrics).observe([found("email", "pushed")])
    scraped = generate_latest(metrics.registry).decode()
    wanted = 'pics_sync_drift_differences_total{action="pushed",direction="push",entity="learner",field="email"} 1.0'
    assert wanted in scraped
    assert "L-1" not in scraped and "5b1f0c2e" not in scraped


def test_a_failing_drift_metric_never_fails_the_recording(metrics: Metrics) -> None:
    """A difference a metric cannot count is logged by class, and ``observe`` returns as if counted."""
    with capture_logs() as logs:
        DriftMetrics(metrics).observe([object()])  # type: ignore[list-item]
    assert [(e["event"], e["error"]) for e in logs] == [("metrics.observe_failed", "AttributeError")]


class FakePool:
    """A pool whose one statement answers ``rowcount`` or raises ``fails``."""

    def __init__(self, fails: Exception | None = None) -> None:
        self.fails, self.statements = fails, 0

    @contextmanager
    def connection(self) -> Iterator[Any]:
        yield self

    def execute(self, query: str, params: Any) -> Any:
        self.statements += 1
        if self.fails is not None:
            raise self.fails
        return type("Cursor", (), {"rowcount": len(params[2])})()


def test_d3_the_drift_log_tells_on_record_what_it_recorded_once_it_is_in(metrics: Metrics) -> None:
    """D3: DriftLog's ``on_record`` hears of a learner's differences after their one insert, with all of them."""
    pool = FakePool()
    log = DriftLog(pool, on_record=DriftMetrics(metrics).observe)  # type: ignore[arg-type]
    assert log.record(None, "e-1", iter([found("email", "pushed"), found("surname", "pushed")])) == 2
    assert log.record(None, "e-2", []) == 0
    labels = {"entity": "learner", "direction": "push"}
    assert sample(metrics, "pics_sync_drift_repaired_total", **labels, field="email") == 1
    assert sample(metrics, "pics_sync_drift_repaired_total", **labels, field="surname") == 1
    assert pool.statements == 1  # nothing to record: no statement


def test_d3_nothing_is_counted_when_the_insert_fails(metrics: Metrics) -> None:
    """D3: a recording that fails (the database is away) counts nothing: the retry counts it once."""
    log = DriftLog(FakePool(fails=ConnectionError("down")), on_record=DriftMetrics(metrics).observe)  # type: ignore[arg-type]
    with pytest.raises(ConnectionError):
        log.record(None, "e-1", [found("email", "pushed")])
    assert sample(metrics, "pics_sync_drift_differences_total", entity="learner", field="email", direction="push",
                  action="pushed") == 0  # fmt: skip
