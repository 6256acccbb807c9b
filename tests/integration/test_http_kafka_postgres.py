"""`pics-sync run`'s HTTP port against the real broker, real PostgreSQL and the SA sandbox over HTTP.

Contract: the consumer process serves /metrics, /healthz and /readyz on PICS_SYNC_HTTP_PORT. As it
works, the counts of events applied and parked (by topic and event type), the PICS-to-SA latency
and the SA calls (by route template and status) go up; no learner id or value is in a label.
/readyz is 200 once broker and database answer and partitions are assigned, 503 naming the circuit
while SA fails, and 200 again once SA is back. The daily pull serves the same port while it runs:
its progress, its SA calls, and when a daily pull last succeeded (from the database).
"""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from consumers.ops.daily_pull import PullOptions, daily_pull
from consumers.producer import EventProducer
from consumers.service import Service, open_service
from consumers.web.app import serve_pull
from sandbox.pics.people import People
from sandbox.pics.pull_seed import seed_pull_learners
from sandbox.sa.process import SaSandboxProcess
from sync_core.config import RuntimeConfig
from sync_core.serde import new_event
from sync_core.state.links import LinkRepository
from sync_core.state.settings_repo import SettingsRepository
from tests.support import process_env, wait_until

pytestmark = pytest.mark.integration

PUSH_SETTINGS = {"Integration Enabled": "on", "Update Learner Demographics Mode": "Push PICS Data to Smart Assessor"}
CONSUMER = [sys.executable, "-c", "from consumers.cli import main; raise SystemExit(main(['run']))"]
PATCH_LEARNER = "PATCH /learners/{id}"
Scrape = Callable[[], dict[tuple[str, frozenset[tuple[str, str]]], float]]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def consumer(config: RuntimeConfig, service: Service, tmp_path: Path) -> Iterator[str]:
    """`pics-sync run` in its own process with the HTTP port on; yields the port's base URL once it is ready."""
    SettingsRepository(service.pool).set_many(PUSH_SETTINGS)
    port = free_port()
    env = process_env(config, PICS_SYNC_HTTP_HOST="127.0.0.1", PICS_SYNC_HTTP_PORT=str(port))
    log = tmp_path / "consumer.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(CONSUMER, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    url = f"http://127.0.0.1:{port}"
    try:
        with contextlib.suppress(AssertionError):  # not ready in time: say why below
            wait_until(lambda: _status(url + "/readyz") == 200 or process.poll() is not None, timeout=60)
        assert process.poll() is None and _status(url + "/readyz") == 200, _readyz(url) + log.read_text()[-3000:]
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, log.read_text()[-3000:]


def _status(url: str) -> int | None:
    try:
        return httpx.get(url, timeout=5).status_code
    except httpx.TransportError:
        return None


def _readyz(url: str) -> str:
    try:
        return httpx.get(url + "/readyz", timeout=5).text + "\n"
    except httpx.TransportError as failed:
        return f"/readyz: {failed!r}\n"


@pytest.fixture
def scrape(consumer: str) -> Scrape:
    """/metrics as {(sample name, labels): value}."""

    def read() -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        text = httpx.get(consumer + "/metrics", timeout=5).text
        return {
            (s.name, frozenset(s.labels.items())): s.value
            for f in text_string_to_metric_families(text)
            for s in f.samples
        }

    return read


def metric(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def linked_learner(service: Service, ident: str) -> dict[str, Any]:
    """A PICS learner already in SA and linked, so an edit of it is one PATCH."""
    learner = {**People(11).learner(ident), "smart_assessor_id": None}
    created = service.sa.create_learner(
        {"misId": ident, "firstName": learner["first_name"], "surname": learner["surname"]}
    )
    LinkRepository(service.pool).link("learner", ident, str(created["id"]))
    return learner


def edit(producer: EventProducer, learner: dict[str, Any], email: str) -> None:
    event = new_event("LearnerEdited", {"learner": {**learner, "email": email}}, changed_fields=["email"])
    producer.send("pics.learner", learner["learner_ident"], event)
    producer.flush()


def test_metrics_count_applied_events_and_sa_calls(
    config: RuntimeConfig, service: Service, producer: EventProducer, scrape: Scrape
) -> None:
    """Three edits applied and one parked (SA refused it) show in the event counts, the latency histogram and the SA call counts."""
    topic, before = config.topic_prefix + "pics.learner", scrape()
    learner = linked_learner(service, "L-HTTP-1")
    for n in range(3):
        edit(producer, learner, f"edit{n}@example.org")
    refused = {**linked_learner(service, "L-HTTP-REFUSED"), "uln": "12AB"}  # SA answers 422: parked, SaRejected
    edit(producer, refused, "x@example.org")
    labels = {"topic": topic, "event_type": "LearnerEdited"}
    after = wait_until(lambda: (s := scrape()) and metric(s, "pics_sync_events_consumed_total", **labels) == 4 and s)
    assert metric(after, "pics_sync_events_processed_total", **labels, outcome="applied") == 3
    assert metric(after, "pics_sync_events_processed_total", **labels, outcome="parked") == 1
    assert metric(after, "pics_sync_event_latency_seconds_count", topic=topic) == 3
    calls = metric(after, "pics_sync_sa_calls_total", endpoint=PATCH_LEARNER, status="200")
    assert calls - metric(before, "pics_sync_sa_calls_total", endpoint=PATCH_LEARNER, status="200") == 3
    assert metric(after, "pics_sync_sa_calls_total", endpoint=PATCH_LEARNER, status="422") == 1
    assert metric(after, "pics_sync_sa_call_seconds_count", endpoint=PATCH_LEARNER, status="200") >= 3
    assert metric(after, "pics_sync_sa_call_seconds_count", endpoint=PATCH_LEARNER, status="422") == 1
    assert not any(name.endswith("_created") for name, _labels in after)
    assert (
        metric(after, "pics_sync_partitions_assigned") > 0
        and metric(after, "pics_sync_circuit_state", state="closed") == 1
    )
    assert not any("L-HTTP" in value or "example.org" in value for _name, labels_ in after for _k, value in labels_)


def test_readyz_names_the_open_circuit_while_sa_fails(
    consumer: str, service: Service, producer: EventProducer, sa: SaSandboxProcess, scrape: Scrape
) -> None:
    """While SA answers 503 the breaker opens and /readyz is 503 naming the circuit; once SA is back the event applies."""
    learner = linked_learner(service, "L-HTTP-2")
    sa.configure(error_rate=1.0)
    edit(producer, learner, "during-outage@example.org")
    body = wait_until(
        lambda: (r := httpx.get(consumer + "/readyz", timeout=5)).status_code == 503 and r.json(), timeout=60
    )
    assert body["failed"] == ["circuit"] and body["checks"]["circuit"].startswith("SA circuit breaker is")
    assert metric(scrape(), "pics_sync_sa_calls_total", endpoint=PATCH_LEARNER, status="503") >= 1
    sa.configure(error_rate=0.0)
    wait_until(lambda: _status(consumer + "/readyz") == 200, timeout=60)
    wait_until(
        lambda: metric(scrape(), "pics_sync_sa_calls_total", endpoint=PATCH_LEARNER, status="200") >= 1, timeout=30
    )
    assert httpx.get(consumer + "/healthz", timeout=5).json() == {"status": "alive"}


def test_daily_pull_serves_its_progress_and_last_success(
    config: RuntimeConfig, service: Service, sa: SaSandboxProcess
) -> None:
    """While `pull daily` runs its port answers: learners read of learners to read, SA reads, the last success time."""
    seed_pull_learners(service.pool, sa, 5, "PH-")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with serve_pull(config.model_copy(update={"http_port": port})) as metrics:
        with open_service(config, on_sa_call=metrics.metrics.sa_call) as pulling:
            options = PullOptions(run_date=date.today(), rate_per_s=2000, progress=False, observe=metrics.progress)
            summary = daily_pull(pulling, options)
        samples = {
            (s.name, frozenset(s.labels.items())): s.value
            for f in text_string_to_metric_families(httpx.get(url + "/metrics").text)
            for s in f.samples
        }
        ready = httpx.get(url + "/readyz").json()
    assert (metric(samples, "pics_sync_pull_learners_read"), metric(samples, "pics_sync_pull_learners_to_read")) == (
        5,
        5,
    )
    assert metric(samples, "pics_sync_sa_calls_total", endpoint="GET /learners/{id}/otj", status="200") == 5
    finished = summary["finished_at"].timestamp()
    assert metric(samples, "pics_sync_pull_last_success_timestamp_seconds") == pytest.approx(finished)
    assert ready == {"status": "ready", "failed": [], "checks": {"broker": "ok", "database": "ok"}}
    assert _status(url + "/healthz") is None, "the port closes with the pull"
