"""``pics-sync run``: the push consumer (or the PICS updaters), until SIGTERM or SIGINT, or until idle.

``--until-idle`` stops once this process's consumer is idle: it has been assigned partitions, each is
consumed to its end (as the broker's high watermark stood when last fetched) and no event is pending,
retries included. It waits for that, without a deadline (``timeout 600 pics-sync run --until-idle``
sets one). It waits for its own group side only: with ``--side push``, the ``pics.*`` events in SA; the
items a refresh (R1) pulled onto ``sa.*`` are the PICS updaters', which ``run --side pull --until-idle``
waits for. Only the partitions assigned to this process count: run it as its group's only member (the
deployment stopped) to drain the whole backlog, or it waits for its share alone.

``--processes N`` (``PICS_SYNC_PROCESSES``) above 1 runs N members of the group, each this same command
in a process of its own (``--processes 1 --member I``), under ``consumers.supervisor``, which divides
the SA budgets among them and gives member I the HTTP port ``PICS_SYNC_HTTP_PORT + I``. 1 is this
process alone, as before.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys
import threading
from typing import Any

import structlog

from consumers.heartbeat import start_heartbeat
from consumers.kafka.clients import RawProducer, ensure_topics, make_consumer
from consumers.loop import ParallelLoop
from consumers.metrics import DriftMetrics, EventMetrics, Metrics, watched
from consumers.ops.dlq_mirror import DlqMirror, each
from consumers.service import open_service
from consumers.supervisor import Member, budget, member_count, member_environment, supervise
from consumers.web.app import serve_consumer
from sync_core.config import (
    RuntimeConfig,
    group_id,
    kafka_settings,
    load_config,
    process_count,
    topic,
    topic_layout,
)
from sync_core.errors import ConfigurationError
from sync_core.logs import configure_logging
from sync_core.outcome import Kind, Tally
from sync_core.pipeline.routes import PULL_TOPICS, PUSH_TOPICS

log = structlog.get_logger("pics_sync.run")
PARKED_EXIT = 3  # --until-idle --fail-on-park: an event was parked during the run
_EXIT_CODES = (
    "exit status: 0 stopped, or idle with --until-idle; 1 an error, or stopped (SIGTERM, SIGINT) before it was "
    f"idle; 2 a bad option value or configuration; {PARKED_EXIT} with --fail-on-park, an event was parked during "
    "the run; with --processes N, 1 also when a member kept dying (restarted 5 times in a row within a minute "
    "of its start) or stopped uncleanly"
)
# A member of `run --processes N`: this same command line in a process of its own.
_MEMBER = ("-c", "import sys; from consumers.cli import main; sys.exit(main(sys.argv[1:]))")


def register(subcommands: Any) -> None:
    """Add ``run``."""
    cmd = subcommands.add_parser(
        "run",
        help="consume events: PICS changes to SA (--side push), or pulled SA items to PICS (--side pull)",
        epilog=_EXIT_CODES,
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
    cmd.add_argument(
        "--until-idle",
        action="store_true",
        help="exit once every partition assigned to this process is consumed to its end and no event is pending "
        "(waits for its assignment; this --side's topics only: run it as the group's only member to drain all)",
    )
    cmd.add_argument(
        "--fail-on-park",
        action="store_true",
        help=f"with --until-idle: exit {PARKED_EXIT} when an event was parked during the run",
    )
    cmd.add_argument(
        "--processes",
        type=_process_count,
        metavar="N|auto",
        help="members of the consumer group to run, each a process of its own, restarted if it dies (default "
        "PICS_SYNC_PROCESSES, 1; auto: one a core). The SA cap and rate limit are shared evenly among them (the cap "
        "divided and rounded down); member I serves HTTP on PICS_SYNC_HTTP_PORT + I. Not with --until-idle",
    )
    cmd.add_argument("--member", type=int, help=argparse.SUPPRESS)  # set by the supervisor: this member's index
    cmd.set_defaults(handler=_run)


def _process_count(text: str) -> int | str:
    """``--processes``: as ``PICS_SYNC_PROCESSES`` (``process_count``)."""
    try:
        return process_count(text)
    except ValueError as wrong:
        raise argparse.ArgumentTypeError(f"{wrong}, not {text!r}") from None


def _run(args: argparse.Namespace) -> int:
    if args.fail_on_park and not args.until_idle:
        raise ConfigurationError("--fail-on-park needs --until-idle")
    config = load_config()
    configure_logging(config.log_level, context=None if args.member is None else {"member": args.member})
    members = member_count(config, args.processes)
    return _supervise(args, config, members) if members > 1 else _consume(args, config)


def _consume(args: argparse.Namespace, config: RuntimeConfig) -> int:
    """This process as one member of the group, until a stop (or idle)."""
    topics = [topic(config, name) for name in (PUSH_TOPICS if args.side == "push" else PULL_TOPICS)]
    group = group_id(config, args.side)
    ensure_topics(kafka_settings(config), topics, topic_layout(config))
    mirror = _dlq_mirror(config)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    consumer = watched(  # other threads (metrics, /readyz, heartbeat) read its state from a copy
        make_consumer(kafka_settings(config), group, **{"session.timeout.ms": config.kafka_session_timeout_ms,
                                                        **_client_id(args.member)})
    )  # fmt: skip
    metrics = Metrics()
    drift = DriftMetrics(metrics).observe  # D3: differences found and repaired
    with open_service(config, paced=True, on_sa_call=metrics.sa_call, on_drift=drift) as service:
        loop = ParallelLoop(
            consumer, service.ports, concurrency=config.workers, max_pending=args.max_pending,
            observe=each(EventMetrics(metrics).observe, None if mirror is None else mirror.observe),
        )  # fmt: skip
        loop.subscribe(topics)
        heartbeat = start_heartbeat(service.side.pool, loop, group=group, side=args.side, index=args.member)
        http = serve_consumer(config, service, loop, metrics)  # /metrics, /healthz, /readyz, the console
        log.info(
            "consumer.started",
            topics=topics,
            group=group,
            workers=config.workers,
            sa_max_concurrency=config.sa_max_concurrency,
        )
        try:
            tally = loop.run_until_drained(stop, timeout=math.inf) if args.until_idle else loop.run(stop)
        finally:
            heartbeat.stop()  # before close: it reads the consumer's assignment
            http.close()  # before close: /readyz and /metrics read the consumer too
            consumer.close()  # commits the offsets stored so far
            if mirror is not None:
                mirror.close()
    log.info("consumer.stopped", idle=loop.drained, **{k.value: n for k, n in tally.kinds.items()})
    return _exit_code(args, loop.drained, tally) if args.until_idle else 0


def _supervise(args: argparse.Namespace, config: RuntimeConfig, count: int) -> int:
    """``count`` members of the group, each ``run --processes 1 --member I`` with its share of the budgets."""
    if args.until_idle:
        raise ConfigurationError("--until-idle drains one process's partitions: run it without --processes")
    debug = ["--debug"] if getattr(args, "debug", False) else []
    options = ("--side", args.side, "--max-pending", str(args.max_pending), "--processes", "1")
    command = (sys.executable, *_MEMBER, *debug, "run", *options)
    env = [member_environment(os.environ, budget(config, count, i)) for i in range(count)]
    return supervise([Member(i, (*command, "--member", str(i)), env[i]) for i in range(count)])


def _client_id(member: int | None) -> dict[str, str]:
    """A member's Kafka client.id, so the group coordinator's list (``status``) names it too."""
    return {} if member is None else {"client.id": f"pics-sync-member-{member}"}


def _exit_code(args: argparse.Namespace, idle: bool, tally: Tally) -> int:
    """``--until-idle``'s answer: idle or not, and with ``--fail-on-park`` whether anything parked meanwhile."""
    parked = tally.count(Kind.PARKED)
    if not idle:
        print("pics-sync: stopped before every assigned partition was consumed to its end", file=sys.stderr)
        return 1
    if args.fail_on_park and parked:
        print(f"pics-sync: {parked} event(s) parked during the run: see `pics-sync dlq list`", file=sys.stderr)
        return PARKED_EXIT
    return 0


def _dlq_mirror(config: RuntimeConfig) -> DlqMirror | None:
    """The copy of parked events to PICS_SYNC_DLQ_TOPIC, when that is set."""
    if config.dlq_topic is None:
        return None
    physical = topic(config, config.dlq_topic)
    ensure_topics(kafka_settings(config), [physical], topic_layout(config))
    return DlqMirror(RawProducer(kafka_settings(config)), physical)
