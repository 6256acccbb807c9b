"""The routing table and the schemas agree: every event record has a route, every route a schema."""

from __future__ import annotations

import json
from importlib import resources

from consumers.routes import ROUTES
from sync_core.serde import TOPIC_RECORDS


def union_branches() -> dict[str, str]:
    """Short record name of each union branch → the logical topic it arrives on."""
    folder = resources.files("schemas")
    branches = {}
    for topic, record in TOPIC_RECORDS.items():
        schema = json.loads((folder / f"{record}.avsc").read_text())
        event_field = next(f for f in schema["fields"] if f["name"] == "event")
        types = event_field["type"] if isinstance(event_field["type"], list) else [event_field["type"]]
        branches |= {name.rsplit(".", 1)[-1]: topic for name in types}
    return branches


def test_every_event_record_has_a_route_on_its_topic() -> None:
    """Each record in a topic's union is routed, and routed for that topic."""
    assert {name: route.topic for name, route in ROUTES.items()} == union_branches()
