"""``pics-sync run``: the push consumer, until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import signal
import threading
from typing import Any

import structlog

from consumers.heartbeat import start_heartbeat
from consumers.kafka.clients import RawProducer, ensure_topics, make_consumer
from consumers.loop import ParallelLoop
from consumers.metrics import DriftMetrics, EventMetrics, Metrics, watched
from consumers.ops.dlq_mirror import DlqMirror, each
from consumers.service import open_service
from consumers.web.app import serve_consumer
from sync_core.config import RuntimeConfig, group_id, kafka_settings, load_config, topic, topic_layout
from sync_core.logs import configure_logging
from sync_core.pipeline.routes import PULL_TOPICS, PUSH_TOPICS

log = structlog.get_logger("pics_sync.run")


def register(subcommands: Any) -> None:
    """Add ``run``."""
    cmd = subcommands.add_parser(
        "run", help="consume events: PICS changes to SA (--side push), or pulled SA items to PICS (--side pull)"
    )
    cmd.add_argument(
        "--side",
        choices=("push", "pull"),
        default="push",
        help="push: pics.* → SA (group PICS_SYNC_KAFKA_GROUP_ID); pull: the PICS updaters, sa.* → PICS "
        "(group PICS_SYNC_KAFKA_GROUP_ID + '-updaters')",
    )
    cmd.add_argument(
        "--max-pending", type=int, default=2000, help="pause fetching above this many unfinished events (default 2000)"
    )
    cmd.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    config = load_config()
    configure_logging(config.log_level)
    topics = [topic(config, name) for name in (PUSH_TOPICS if args.side == "push" else PULL_TOPICS)]
    group = group_id(config, args.side)
    ensure_topics(kafka_settings(config), topics, topic_layout(config))
    mirror = _dlq_mirror(config)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    consumer = watched(  # other threads (metrics, /readyz, heartbeat) read its state from a copy
        make_consumer(kafka_settings(config), group, **{"session.timeout.ms": config.kafka_session_timeout_ms})
    )
    metrics = Metrics()
    drift = DriftMetrics(metrics).observe  # D3: differences found and repaired
    with open_service(config, paced=True, on_sa_call=metrics.sa_call, on_drift=drift) as service:
        loop = ParallelLoop(
            consumer, service.ports, concurrency=config.workers, max_pending=args.max_pending,
            observe=each(EventMetrics(metrics).observe, None if mirror is None else mirror.observe),
        )  # fmt: skip
        loop.subscribe(topics)
        heartbeat = start_heartbeat(service.side.pool, loop, group=group, side=args.side)
        http = serve_consumer(config, service, loop, metrics)  # /metrics, /healthz, /readyz, the console
        log.info(
            "consumer.started",
            topics=topics,
            group=group,
            workers=config.workers,
            sa_max_concurrency=config.sa_max_concurrency,
        )
        try:
            tally = loop.run(stop)
        finally:
            heartbeat.stop()  # before close: it reads the consumer's assignment
            http.close()  # before close: /readyz and /metrics read the consumer too
            consumer.close()  # commits the offsets stored so far
            if mirror is not None:
                mirror.close()
    log.info("consumer.stopped", **{k.value: n for k, n in tally.kinds.items()})
    return 0


def _dlq_mirror(config: RuntimeConfig) -> DlqMirror | None:
    """The copy of parked events to PICS_SYNC_DLQ_TOPIC, when that is set."""
    if config.dlq_topic is None:
        return None
    physical = topic(config, config.dlq_topic)
    ensure_topics(kafka_settings(config), [physical], topic_layout(config))
    return DlqMirror(RawProducer(kafka_settings(config)), physical)
