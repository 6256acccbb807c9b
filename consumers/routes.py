"""The one routing table: Avro record name → the rule that plans it.

A test checks that every event record in schemas/ has a route and every route a schema.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sync_core.plan import Plan
from sync_core.rules.learner import Links, plan_learner_edited
from sync_core.settings import IntegrationSettings

Rule = Callable[[Mapping[str, Any], IntegrationSettings, Links, date], Plan]


@dataclass(frozen=True)
class Route:
    """How one event record is handled."""

    rule: Rule
    topic: str  # the logical topic the record arrives on


ROUTES: Mapping[str, Route] = {
    "LearnerEdited": Route(plan_learner_edited, topic="pics.learner"),
}
