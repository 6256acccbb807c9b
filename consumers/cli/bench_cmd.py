"""``pics-sync bench pull``: speed, as a ratio measured in one run (never a timed test)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from consumers.bench import bench_pull
from consumers.cli.demo_cmd import stack_config
from sandbox.stack import local_stack
from sync_core.logs import configure_logging


def register(subcommands: Any) -> None:
    """Add ``bench``."""
    cmd = subcommands.add_parser("bench", help="measure the sync against its floor on the local stack")
    kinds = cmd.add_subparsers(dest="kind", required=True, metavar="KIND")
    pull = kinds.add_parser(
        "pull",
        help="the daily pull over N eligible learners against a rate-limited, slow SA sandbox",
        description="Seeds N learners in the SA sandbox and PICS, sets the sandbox's latency and rate limit, "
        "runs one daily pull and reports its time against the floor (SA calls needed / rate limit).",
    )
    pull.add_argument("--learners", type=int, default=10_000, help="eligible learners (default 10000)")
    pull.add_argument("--rate", type=float, default=200.0, help="the sandbox's rate limit, calls/s (default 200)")
    pull.add_argument("--latency-ms", type=float, default=50.0, help="the sandbox's latency per call (default 50)")
    pull.add_argument("--json", action="store_true", help="end with one JSON object on the last line")
    pull.set_defaults(handler=_pull)


def _pull(args: argparse.Namespace) -> int:
    configure_logging("WARNING")
    print("starting the local stack (Kafka, PostgreSQL, SA sandbox)…", file=sys.stderr)
    with local_stack(reuse_env=False) as stack:
        result = bench_pull(
            stack, stack_config(stack), learners=args.learners, rate=args.rate, latency_ms=args.latency_ms
        )
    width = max(map(len, result))
    for name, value in result.items():
        print(f"{name:<{width}}  {value}")
    if args.json:
        print(json.dumps(result))
    return 0
