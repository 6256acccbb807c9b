"""``pics-sync demo``: the whole path on local parts, with a summary that checks the result."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from consumers.cli.sandbox_extra import needs_sandbox_extra
from sync_core.config import RuntimeConfig, load_config
from sync_core.logs import configure_logging

if TYPE_CHECKING:
    from sandbox.stack.local import Stack  # noqa: TID251 (for mypy only: nothing is imported at run time)


def register(subcommands: Any) -> None:
    """Add ``demo``."""
    cmd = subcommands.add_parser(
        "demo",
        help="run the sync end to end on a local broker, database and SA sandbox",
        description="Starts (or reuses, from PICS_SYNC_* variables) Kafka, PostgreSQL and the SA "
        "sandbox; a simulated PICS enrols learners and then makes every kind of change; the push consumer "
        "keeps SA in step; an oracle written from DOMAIN.md then checks SA, and after the daily run PICS and the "
        "run's drift report (drift_found, drift_repaired), record by record, under each settings profile chosen.",
    )
    cmd.add_argument("--learners", type=int, default=500, help="learners to enrol (default 500)")
    cmd.add_argument("--events", type=int, default=5000, help="PICS changes to stream after enrolment (default 5000)")
    cmd.add_argument("--seed", type=int, default=7, help="seed for the generated data (default 7)")
    cmd.add_argument(
        "--profile",
        default="all-push",
        metavar="NAME",
        help="settings profile: all-push (default), all-none, pull-modes, mixed, quiet, hand-edits (SA edited by "
        "hand before the daily run, which must repair every edit), or all (each in turn)",
    )
    cmd.add_argument("--json", action="store_true", help="end with one JSON object on the last line")
    cmd.add_argument(
        "--keep",
        action="store_true",
        help="after the summary, keep the stack, the push consumer, the PICS updaters and the console running "
        "on the demo's data, printing the console's URL and token and the exports for `pics-sync status`, "
        "until Ctrl-C",
    )
    cmd.set_defaults(handler=_demo)


def stack_config(stack: Stack) -> RuntimeConfig:
    """The runtime configuration that points at a local stack."""
    overrides: dict[str, Any] = {
        "kafka_bootstrap_servers": stack.kafka_bootstrap,
        "database_url": stack.database_url,
        "sa_base_url": stack.sa_base_url,
    }
    if stack.sa is not None:
        overrides |= {
            "sa_username": stack.sa.username,
            "sa_password": stack.sa.password,
            "sa_client_key": stack.sa.client_key,
        }
    return load_config(**overrides)


def _log_level() -> str:
    """WARNING, so per-event lines do not bury the summary, unless PICS_SYNC_LOG_LEVEL names a level."""
    config = load_config()
    return config.log_level if "log_level" in config.model_fields_set else "WARNING"


@needs_sandbox_extra("demo")
def _demo(args: argparse.Namespace) -> int:
    from sandbox.demo.keep import keep_running  # noqa: TID251 (lazy: the sandbox extra is optional)
    from sandbox.demo.profiles import chosen  # noqa: TID251 (lazy: the sandbox extra is optional)
    from sandbox.demo.progress import Progress  # noqa: TID251 (lazy: the sandbox extra is optional)
    from sandbox.demo.run import DemoSize, passed, run_demo  # noqa: TID251 (lazy: the sandbox extra is optional)
    from sandbox.stack.local import local_stack  # noqa: TID251 (lazy: the sandbox extra is optional)

    try:
        chosen(args.profile)
    except ValueError as unknown:
        print(f"pics-sync demo: {unknown}", file=sys.stderr)
        return 2
    configure_logging(_log_level())
    progress = Progress()  # one line per phase on stderr; stdout keeps the summary
    progress.phase("stack", "starting Kafka, PostgreSQL and the SA sandbox…")
    with local_stack() as stack:
        progress.phase("stack", f"ready: Kafka at {stack.kafka_bootstrap}, SA at {stack.sa_base_url}")
        size = DemoSize(learners=args.learners, events=args.events, seed=args.seed)
        sa = stack.sa
        counts = None if sa is None else (lambda: sa.calls()["counts"])
        result = run_demo(stack_config(stack), size, counts, sa, args.profile, progress)
        _summary(result, as_json=args.json)
        code = 0 if passed(result) else 1
        if args.keep and progress.first is not None:
            code = max(code, keep_running(stack, progress.first))
    return code


def _summary(result: dict[str, Any], *, as_json: bool) -> None:
    """The figures, one a line, each profile's verdict, and with ``as_json`` the JSON object last."""
    width = max(map(len, result))
    for name, value in result.items():
        if name != "profiles":
            print(f"{name:<{width}}  {value}")
    for name, figures in result.get("profiles", {}).items():
        print(f"profile {name}: {'passed' if figures.get('passed') else 'FAILED'}  {json.dumps(figures)}")
    if as_json:
        print(json.dumps(result), flush=True)
