"""``pics-sync``: the one console script. Each subcommand lives in a module of its own."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from importlib.metadata import version

from consumers.cli import (
    bench_cmd,
    db_cmd,
    demo_cmd,
    dlq_cmd,
    learner_cmd,
    pull_cmd,
    qualifications_cmd,
    reconcile_cmd,
    replay_cmd,
    run_cmd,
    sandbox_cmd,
    settings_cmd,
    status_cmd,
)
from consumers.cli.boundary import debugging, guarded

COMMANDS = (
    run_cmd,
    pull_cmd,
    reconcile_cmd,
    replay_cmd,
    dlq_cmd,
    status_cmd,
    learner_cmd,
    settings_cmd,
    qualifications_cmd,
    db_cmd,
    sandbox_cmd,
    demo_cmd,
    bench_cmd,
)


def parser() -> argparse.ArgumentParser:
    """The whole command line, with help on every subcommand."""
    top = argparse.ArgumentParser(
        prog="pics-sync",
        description="Keeps PICS and Smart Assessor in step. Configuration comes from PICS_SYNC_* "
        "environment variables (see README).",
    )
    top.add_argument(
        "--debug",
        action="store_true",
        help="on an error, also print its traceback (frames and our own messages; values scrubbed). "
        "PICS_SYNC_DEBUG=1 does the same",
    )
    top.add_argument("--version", action="version", version=f"%(prog)s {version('pics-sync')}")
    subcommands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(subcommands)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse, run, and turn whatever escapes into one line and an exit code (``boundary``)."""
    args = parser().parse_args(argv)
    return guarded(lambda: int(args.handler(args)), debug=debugging(args.debug))
