"""``pics-sync pull daily|learner`` and ``pics-sync refresh``: the daily run (SA → PICS, and each learner's
comparison with SA, D1) and its one-learner case (R1); `run --side pull` and `run` apply what they send."""

from __future__ import annotations

import argparse
import json
import signal
import threading
from datetime import date
from typing import Any

import structlog

from consumers.metrics import PullMetrics
from consumers.ops.daily_pull import PullOptions, daily_pull, learner_pull
from consumers.ops.schedule import next_run, parse_at, parse_every
from consumers.service import open_service
from consumers.web.app import serve_pull
from sync_core import clock
from sync_core.config import RuntimeConfig, load_config
from sync_core.logs import configure_logging

log = structlog.get_logger("pics_sync.pull")


def register(subcommands: Any) -> None:
    """Add ``pull`` and its actions."""
    cmd = subcommands.add_parser("pull", help="read progress, reviews, OTJ hours and risk from SA onto sa.* topics")
    actions = cmd.add_subparsers(dest="action", required=True, metavar="ACTION")
    daily = actions.add_parser("daily", help="every eligible learner (Y1), once a day or on a schedule")
    daily.add_argument(
        "--date",
        type=date.fromisoformat,
        help="the run date (default today in PICS_SYNC_TIMEZONE); eligibility counts from it",
    )
    daily.add_argument("--resume", action="store_true", help="carry on the date's unfinished run after its checkpoint")
    daily.add_argument("--every", type=parse_every, help="run again this often (e.g. 24h) instead of once")
    daily.add_argument(
        "--at",
        type=parse_at,
        default=parse_at("02:00"),
        help="with --every: the time of day in PICS_SYNC_TIMEZONE (default 02:00)",
    )
    _common(daily)
    daily.set_defaults(handler=_daily)
    one = actions.add_parser("learner", help="one learner now: the old name of `pics-sync refresh`")
    refresh = subcommands.add_parser(
        "refresh",
        help="one learner now, both ways (R1): its comparison with SA, repaired by the push consumer in the "
        "learner's order, and its pull",
    )
    for cmd_of_one in (one, refresh):
        cmd_of_one.add_argument("ident", help="the Learner Ident")
        _common(cmd_of_one)
        cmd_of_one.set_defaults(handler=_learner)


def _common(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--concurrency", type=int, default=16, help="learners read at once (default 16)")
    cmd.add_argument("--rate", type=float, default=25.0, help="SA calls a second at most (default 25)")
    cmd.add_argument("--chunk", type=int, default=500, help="learners between checkpoints (default 500)")
    cmd.add_argument("--json", action="store_true", help="end with the run's summary as one JSON object")


def _options(
    args: argparse.Namespace, run_date: date, metrics: PullMetrics | None = None, stop: threading.Event | None = None
) -> PullOptions:
    resume = getattr(args, "resume", False)
    observe = None if metrics is None else metrics.progress
    return PullOptions(
        run_date=run_date, resume=resume, concurrency=args.concurrency, rate_per_s=args.rate, chunk=args.chunk,
        observe=observe, stop=stop,
    )  # fmt: skip


def _report(summary: dict[str, Any], as_json: bool) -> None:
    shown = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in summary.items()}
    print(json.dumps(shown) if as_json else "\n".join(f"{k:<18} {v}" for k, v in shown.items()))


def _daily(args: argparse.Namespace) -> int:
    config = load_config()
    configure_logging(config.log_level)
    with serve_pull(config) as metrics:  # /metrics, /healthz, /readyz on PICS_SYNC_HTTP_PORT while it runs
        return _daily_runs(args, config, metrics)


def _daily_runs(args: argparse.Namespace, config: RuntimeConfig, metrics: PullMetrics) -> int:
    # SIGTERM or SIGINT: a run in progress sends and checkpoints what it read, then stops; --resume ends it.
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    if args.every is None:
        with open_service(config, on_sa_call=metrics.metrics.sa_call) as service:
            summary = daily_pull(service, _options(args, args.date or clock.today(config.zone), metrics, stop))
        _report(summary, args.json)
        return 1 if summary["status"] == "stopped" else 0  # not finished: a CronJob's retry resumes it
    while not stop.is_set():
        due = next_run(clock.now().astimezone(config.zone), args.at, args.every)  # --at on the local clock
        log.info("pull.scheduled", at=due.isoformat())
        if stop.wait((due - clock.now()).total_seconds()):
            break
        with open_service(config, on_sa_call=metrics.metrics.sa_call) as service:
            run_date = clock.local_date(due, config.zone)
            _report(daily_pull(service, _options(args, run_date, metrics, stop)), args.json)
    return 0


def _learner(args: argparse.Namespace) -> int:
    config = load_config()
    configure_logging(config.log_level)
    with open_service(config) as service:
        _report(learner_pull(service, _options(args, clock.today(config.zone)), args.ident), args.json)
    return 0
