"""The console's overview and parked list on the real PostgreSQL and broker: SQL aggregates, no payloads, few Kafka reads.

Contract: the overview's and ``pics-sync status``'s parked figures (count and oldest per reason, on the
watched topics) come from one aggregate query that reads no parked message; the Parked page's rows match ``dlq list``'s filter and order without the bytes;
twenty loads of the overview read each group's offsets from Kafka once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from consumers.metrics import Metrics
from consumers.ops import status
from consumers.ops.status import collect_status
from consumers.service import Service
from consumers.web import health, overview, queries
from consumers.web.app import build_app
from consumers.web.auth import ConsoleAuth
from consumers.web.console import Console
from sync_core.config import RuntimeConfig
from sync_core.state.parked import ParkedEvents, ParkedFilter
from tests.unit.asgi import AsgiClient

pytestmark = pytest.mark.integration

PAYLOAD = b"\x00" * 1_000_000  # a large parked message: the overview must not read it


def park(service: Service, topic: str, offset: int, key: str, reason: str, age: str) -> None:
    with service.pool.connection() as conn:
        conn.execute(
            "INSERT INTO sync.parked_events (topic, partition, \"offset\", key, event_type, value, error_class,"
            " reason, parked_at) VALUES (%s, 0, %s, %s, 'LearnerEdited', %s, 'SaRejected', %s, now() - %s::interval)",
            (topic, offset, key, PAYLOAD, reason, age),
        )  # fmt: skip


@pytest.fixture
def parked(config: RuntimeConfig, service: Service) -> list[str]:
    """Five parked events on the push topic under two reasons, and one on a topic no side watches."""
    learner = config.topic_prefix + "pics.learner"
    for offset, (key, reason, age) in enumerate(
        [("L1", "refused (uln)", "3 hours"), ("L1", "behind", "2 hours"), ("L2", "refused (uln)", "1 hour"),
         ("L3", "Refused (ULN) again", "10 minutes"), ("L3", "behind", "5 minutes")]
    ):  # fmt: skip
        park(service, learner, offset, key, reason, age)
    park(service, config.topic_prefix + "elsewhere", 0, "L9", "refused (uln)", "9 hours")
    return [learner]


def no_rows(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("the overview loaded parked rows")


def test_overview_counts_parked_by_sql_without_loading_rows(
    config: RuntimeConfig, service: Service, parked: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The overview's and `status`'s parked figures: counts and oldest per reason on the watched topics, from an
    aggregate: no ParkedEvents row is built meanwhile."""
    monkeypatch.setattr(ParkedEvents, "find", no_rows)
    monkeypatch.setattr(ParkedEvents, "_select", no_rows)
    for figures in (overview.gather(config, service.pool).report.parked, collect_status(config, service.pool).parked):
        assert [(p.reason, p.count) for p in figures] == [
            ("behind", 2), ("refused (uln)", 2), ("Refused (ULN) again", 1)
        ]  # fmt: skip
        ages = {p.reason: datetime.now(UTC) - p.oldest for p in figures}
        assert timedelta(hours=2) < ages["behind"] < timedelta(hours=3)
        assert timedelta(hours=3) < ages["refused (uln)"] < timedelta(hours=4)
        assert sum(p.count for p in figures) == 5


@pytest.mark.parametrize(
    ("key", "reason"),
    [(None, None), ("L1", None), (None, "REFUSED"), ("L3", "uln"), ("L-none", None)],
    ids=["all", "key", "reason-any-case", "both", "no-match"],
)
def test_parked_rows_match_dlq_list_without_the_bytes(
    service: Service, parked: list[str], key: str | None, reason: str | None
) -> None:
    """The Parked page's rows are `dlq list`'s (same filter, same order), less the message and headers."""
    full = ParkedEvents(service.pool).find(ParkedFilter(key=key, reason=reason), 500)
    rows = queries.parked_rows(service.pool, key, reason, 500)
    assert [(r.id, r.key, r.reason, r.offset) for r in rows] == [(e.id, e.key, e.reason, e.offset) for e in full]
    assert not any(hasattr(r, "value") or hasattr(r, "headers") for r in rows)


def test_many_overview_loads_read_kafka_once(
    config: RuntimeConfig, service: Service, parked: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twenty loads of / read each side's group offsets from the broker once, not once a load."""
    reads: list[str] = []
    real = status.group_offsets

    def counted(kafka: Any, group: str, topics: Any, timeout: float = 5.0) -> Any:
        reads.append(group)
        return real(kafka, group, topics, timeout)

    monkeypatch.setattr(status, "group_offsets", counted)
    console = Console(service, ConsoleAuth(SecretStr("x" * 32)))
    http = AsgiClient(build_app(Metrics(CollectorRegistry()), health.Readiness({}), console))
    pages = [http.get("/") for _ in range(20)]
    assert all(p.status_code == 200 for p in pages) and 'id="parked-now"><a href="/parked">5<' in pages[-1].text
    assert sorted(reads) == sorted([config.kafka_group_id, f"{config.kafka_group_id}-updaters"])
