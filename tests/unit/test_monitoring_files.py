"""The shipped Grafana dashboard and Prometheus alert rules parse, and every expression names a metric the
program exports (``tests/unit/exported_metrics.py``), so a renamed metric cannot leave a dead panel or an
alert that never fires."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.unit.exported_metrics import BUILT_IN, series_names

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "pics-sync.json"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
_KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset"}
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_NAME = re.compile(r"(?<![\w.])([a-zA-Z_:][\w:]*)(?![\w:])(?!\s*\()")
_ALERT_KEYS = {"alert", "expr", "labels", "annotations"}
_SEVERITIES = {"critical", "warning", "info"}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (functions, keywords, labels and durations left out)."""
    bare = _GROUPING.sub(" ", _STRINGS.sub('""', expr))
    bare = re.sub(r"\{[^}]*\}", " ", re.sub(r"\[[^\]]*\]", " ", bare))
    return {name for name in _NAME.findall(bare) if name not in _KEYWORDS and not re.fullmatch(r"\d\w*", name)}


def unknown(expr: str, exported: set[str]) -> list[str]:
    """The problems of one expression: a name not exported, or no metric of ours at all."""
    names = metric_names(expr)
    found = [
        f"{name} is not exported" for name in sorted(names) if name not in exported and not name.startswith(BUILT_IN)
    ]
    return found if names else [f"names no metric: {expr}"]


def dashboard_exprs() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]


def rules() -> list[dict[str, Any]]:
    return [rule for group in yaml.safe_load(ALERTS.read_text(encoding="utf-8"))["groups"] for rule in group["rules"]]


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        pytest.param('sum by (topic) (rate(a_total{x="y"}[5m]))', {"a_total"}, id="grouping-labels-duration"),
        pytest.param("histogram_quantile(0.95, sum by (le) (rate(b_bucket[5m])))", {"b_bucket"}, id="quantile"),
        pytest.param("time() - max(c) > 26 * 3600 or absent(d)", {"c", "d"}, id="arithmetic-or"),
    ],
)
def test_metric_names_of_an_expression(expr: str, names: set[str]) -> None:
    """The parser finds the selected metrics and nothing else."""
    assert metric_names(expr) == names


def test_a_renamed_metric_is_caught() -> None:
    """An expression naming a metric the program does not export is reported."""
    assert unknown("sum(pics_sync_consumer_lagg)", series_names()) == ["pics_sync_consumer_lagg is not exported"]


def test_every_dashboard_expression_names_exported_metrics() -> None:
    """Each panel's query selects only metrics /metrics serves."""
    exported = series_names()
    assert [(e, p) for e in dashboard_exprs() for p in unknown(e, exported)] == []


def test_the_dashboard_shows_what_an_operator_watches() -> None:
    """Throughput, lag, oldest pending, parked, SA calls and latency, circuit, pull progress and drift."""
    shown = {name for expr in dashboard_exprs() for name in metric_names(expr)}
    wanted = {"pics_sync_events_processed_total", "pics_sync_consumer_committed_lag", "pics_sync_oldest_pending_seconds",
              "pics_sync_parked_events", "pics_sync_sa_calls_total", "pics_sync_sa_call_seconds_bucket",
              "pics_sync_circuit_state", "pics_sync_pull_learners_read", "pics_sync_drift_differences_total",
              "pics_sync_drift_repaired_total"}  # fmt: skip
    assert wanted <= shown


def test_every_alert_expression_names_exported_metrics() -> None:
    """Each rule's expression selects only metrics /metrics serves."""
    exported = series_names()
    assert [(r["alert"], p) for r in rules() for p in unknown(r["expr"], exported)] == []


def test_alert_rules_are_well_formed() -> None:
    """Each rule has a unique name, an expression, a known severity and a summary; the six asked-for are there."""
    found = rules()
    names = [r["alert"] for r in found]
    assert len(names) == len(set(names))
    for rule in found:
        assert rule.keys() >= _ALERT_KEYS, rule["alert"]
        assert rule["labels"]["severity"] in _SEVERITIES and rule["annotations"]["summary"]
        assert rule.get("for", "0m")[-1] in "smh"
    assert {"PicsSyncConsumerDown", "PicsSyncLagGrowing", "PicsSyncWorkStuck", "PicsSyncParkedEvents",
            "PicsSyncCircuitOpen", "PicsSyncPullLate", "PicsSyncPullFailed"} <= set(names)  # fmt: skip
