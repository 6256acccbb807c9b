"""``pics-sync``: the one console script. Each subcommand lives in a module of its own."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from consumers.cli import (
    bench_cmd,
    db_cmd,
    demo_cmd,
    dlq_cmd,
    pull_cmd,
    qualifications_cmd,
    replay_cmd,
    run_cmd,
    sandbox_cmd,
    settings_cmd,
    status_cmd,
)
from sync_core.errors import ConfigurationError, SyncError

COMMANDS = (
    run_cmd,
    pull_cmd,
    replay_cmd,
    dlq_cmd,
    status_cmd,
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
    subcommands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(subcommands)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse, run, and turn our errors into a message and an exit code."""
    args = parser().parse_args(argv)
    try:
        result: int = args.handler(args)
    except ConfigurationError as invalid:
        print(f"pics-sync: {invalid}", file=sys.stderr)
        return 2
    except SyncError as failed:
        print(f"pics-sync: {type(failed).__name__}: {failed}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return result
