"""The day the pipeline hands a rule: the event's day on PICS's clock (Europe/London), not UTC's."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any, cast

import pytest

from sync_core import clock
from sync_core.faults import no_fault
from sync_core.fields import Lookups
from sync_core.outcome import Kind, Source
from sync_core.pipeline import routes
from sync_core.pipeline.admission import NOTHING_KNOWN, RunMode
from sync_core.pipeline.process import Delivery, PipelinePorts, process
from sync_core.plan import Plan, Skip
from sync_core.serde import AvroSerde, new_event
from sync_core.settings import IntegrationSettings
from tests.unit.sync_core.rules.builders import learner


def day_seen(occurred_at: datetime, zone_name: str, monkeypatch: pytest.MonkeyPatch) -> date:
    """The ``on`` a LearnerEdited that occurred at ``occurred_at`` reaches its rule with, in a dry run."""
    seen: list[date] = []

    def rule(_payload: Mapping[str, Any], _s: IntegrationSettings, _l: Lookups, on: date) -> Plan:
        seen.append(on)
        return (Skip("day noted", rule="Y1"),)

    monkeypatch.setitem(
        cast(dict[str, routes.Route], routes.ROUTES), "LearnerEdited", routes.Route(rule, routes.LEARNER)
    )
    serde = AvroSerde()
    value = serde.encode("pics.learner", new_event("LearnerEdited", {"learner": learner()}, occurred_at=occurred_at))
    ports = SimpleNamespace(
        serde=serde, ledger=SimpleNamespace(prior=lambda *_: NOTHING_KNOWN), lookups=None, rule_fault=no_fault,
        settings=lambda: IntegrationSettings(integration_enabled=True), zone=clock.zone(zone_name),
    )  # fmt: skip
    outcome = process(
        Delivery(Source("pics.learner", 0, 0, "L1"), value), cast(PipelinePorts, ports), RunMode(dry_run=True)
    )
    assert outcome.kind is Kind.SKIPPED
    return seen[0]


@pytest.mark.parametrize(
    ("occurred_at", "zone_name", "expected"),
    [
        pytest.param(datetime(2026, 7, 14, 23, 30, tzinfo=UTC), "Europe/London", date(2026, 7, 15), id="Y1-edit-00:30-BST-is-the-BST-day"),
        pytest.param(datetime(2026, 1, 14, 23, 30, tzinfo=UTC), "Europe/London", date(2026, 1, 14), id="Y1-edit-23:30-GMT-is-that-day"),
        pytest.param(datetime(2026, 7, 14, 23, 30, tzinfo=UTC), "UTC", date(2026, 7, 14), id="Y1-PICS_SYNC_TIMEZONE-UTC"),
    ],
)  # fmt: skip
def test_rules_get_the_event_day_on_pics_clock(
    occurred_at: datetime, zone_name: str, expected: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Y1 "or the event's time": an edit at 00:30 BST is judged on its BST day, in the configured zone."""
    assert day_seen(occurred_at, zone_name, monkeypatch) == expected
