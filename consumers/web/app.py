"""The HTTP app of a process, and how ``run`` and ``pull`` start it on ``PICS_SYNC_HTTP_HOST:PORT``.

``run`` serves ``/metrics``, ``/healthz``, ``/readyz`` and the console; ``pull daily`` the first three.
Port 0 serves nothing. A port that cannot be bound is logged and the process carries on without
it: the sync matters more than its dashboard.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import structlog
from fastapi import FastAPI, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from consumers.kafka.clients import make_producer
from consumers.loop import ParallelLoop
from consumers.metrics import Metrics, PullMetrics, PullSuccessCollector, watch_consumer
from consumers.service import Service
from consumers.web import health
from consumers.web.auth import ConsoleAuth
from consumers.web.console import STATIC, Console, router
from consumers.web.guard import Guard
from consumers.web.server import HttpServer
from sync_core.config import RuntimeConfig, kafka_settings
from sync_core.errors import ConfigurationError
from sync_core.state.database import limits_of, open_pool

log = structlog.get_logger("pics_sync.http")


def build_app(metrics: Metrics, readiness: health.Readiness, console: Console | None = None) -> FastAPI:
    """``/metrics``, ``/healthz``, ``/readyz``, and the console's pages when given one; ``Guard`` around all."""
    app = FastAPI(title="pics-sync", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(Guard, https=console is not None and console.auth.https)

    @app.get("/metrics")
    def scrape() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    app.include_router(health.router(readiness))
    if console is not None:
        app.include_router(router(console))
        app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def start(config: RuntimeConfig, app: FastAPI) -> ExitStack:
    """Serve ``app`` on the configured address on a daemon thread; closing the stack stops it."""
    serving = ExitStack()
    if config.http_port == 0:
        return serving
    try:
        server = HttpServer(app, config.http_host, config.http_port).start()
    except ConfigurationError as unbound:
        log.warning("http.unavailable", reason=str(unbound))
        return serving
    serving.callback(server.stop)
    log.info("http.started", url=server.url)
    return serving


def serve_consumer(config: RuntimeConfig, service: Service, loop: ParallelLoop, metrics: Metrics) -> ExitStack:
    """``run``: the loop's state in the metrics, its readiness, and the console with its charts' sampler, all on
    the side pool."""
    if config.http_port == 0:
        return ExitStack()
    side = service.side  # the workers cannot starve the pages and probes of connections
    watch_consumer(metrics, loop, side.pool)
    auth = ConsoleAuth(config.console_token, session_ttl_s=config.console_session_ttl_s, https=config.console_https)
    console = Console(side, auth, loop)
    serving = ExitStack()
    probe = serving.enter_context(_probe(config))
    serving.enter_context(
        start(config, build_app(metrics, health.for_loop(side.pool, loop, probe, config.stall_s), console))
    )
    serving.enter_context(console.sampling())  # the overview's charts; stopped before the server
    return serving


@contextmanager
def _probe(config: RuntimeConfig) -> Iterator[Any]:
    """A Kafka client of /readyz's own, to ask the broker for metadata; it never sends a message."""
    client = make_producer(kafka_settings(config), **{"enable.idempotence": False})
    try:
        yield client
    finally:
        client.close()


@contextmanager
def serve_pull(config: RuntimeConfig) -> Iterator[PullMetrics]:
    """``pull daily``: metrics and health (database, broker) while the pull runs, with its own small pool."""
    metrics = Metrics()
    with ExitStack() as stack:
        if config.http_port:
            url = config.database_url.get_secret_value()
            pool = stack.enter_context(open_pool(url, max_size=2, limits=limits_of(config)))
            metrics.watch(PullSuccessCollector(pool))
            probe = stack.enter_context(_probe(config))
            checks = {"broker": health.broker(probe), "database": health.database(pool)}
            stack.enter_context(start(config, build_app(metrics, health.Readiness(checks))))
        yield PullMetrics(metrics)
