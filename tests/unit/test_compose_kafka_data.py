"""docker-compose's Kafka keeps its data in a named volume, so `docker compose down` keeps the replay history."""

from __future__ import annotations

from pathlib import Path

import yaml

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"


def test_the_compose_broker_keeps_its_log_dirs_in_a_named_volume() -> None:
    """The broker's KAFKA_LOG_DIRS is a named volume's mount, and its cluster id is fixed to reuse that storage."""
    compose = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    kafka = compose["services"]["kafka"]
    log_dirs = kafka["environment"]["KAFKA_LOG_DIRS"]
    mounts = dict(volume.split(":", 1) for volume in kafka["volumes"])
    named = {name for name, target in mounts.items() if target == log_dirs}
    assert named and named <= set(compose["volumes"])
    assert kafka["environment"]["CLUSTER_ID"]
