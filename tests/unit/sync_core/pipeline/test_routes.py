"""The routing table and the schemas agree: every event record has a route, every route a schema."""

from __future__ import annotations

from sync_core.pipeline.routes import ROUTES
from sync_core.serde import event_records


def test_every_event_record_has_a_route_on_its_topic() -> None:
    """Each record in a topic's union is routed, and routed for that topic."""
    assert {name: route.topic for name, route in ROUTES.items()} == dict(event_records())
