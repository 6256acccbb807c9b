"""``pics-sync sandbox sa|stack``: the local stand-ins, in the foreground."""

from __future__ import annotations

import argparse
import signal
import threading
from typing import Any

from consumers.cli.sandbox_extra import needs_sandbox_extra


def register(subcommands: Any) -> None:
    """Add ``sandbox``."""
    cmd = subcommands.add_parser("sandbox", help="run the local stand-ins of the outside systems")
    parts = cmd.add_subparsers(dest="part", required=True, metavar="PART")
    sa = parts.add_parser("sa", help="the Smart Assessor API sandbox (serves /openapi.json)")
    sa.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    sa.add_argument("--port", type=int, default=8700, help="port (default 8700)")
    sa.add_argument("--latency-ms", type=float, default=0.0, help="added to every SA call (default 0)")
    sa.set_defaults(handler=_sa)
    stack = parts.add_parser(
        "stack",
        help="start Kafka, PostgreSQL and the SA sandbox and print the PICS_SYNC_* variables, with every "
        "credential it set",
    )
    stack.set_defaults(handler=_stack)


@needs_sandbox_extra("sandbox sa")
def _sa(args: argparse.Namespace) -> int:
    from sandbox.sa.__main__ import main as serve  # noqa: TID251 (lazy: the sandbox extra is optional)

    serve(["--host", args.host, "--port", str(args.port), "--latency-ms", str(args.latency_ms)])
    return 0


@needs_sandbox_extra("sandbox stack")
def _stack(_args: argparse.Namespace) -> int:
    from sandbox.stack.exports import export_lines, stack_variables  # noqa: TID251 (lazy: the sandbox extra is optional)
    from sandbox.stack.local import local_stack  # noqa: TID251 (lazy: the sandbox extra is optional)

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    with local_stack(reuse_env=False) as stack:
        # every credential the stack set, so a `run` pasted after these lines is not refused (401)
        print(*export_lines(stack_variables(stack)), sep="\n")
        print("# running; Ctrl-C stops everything", flush=True)
        stop.wait()
    return 0
