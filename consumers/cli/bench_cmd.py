"""``pics-sync bench pull|push|replay|reconcile``: speed, as a ratio measured in one run (never a timed test)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from consumers.cli.demo_cmd import stack_config
from consumers.cli.sandbox_extra import needs_sandbox_extra
from sync_core.errors import ConfigurationError
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
    push = kinds.add_parser(
        "push",
        help="the push runtime against the naive loop and the floor, and its latency at 200 events/s",
        description="Each contender gets its own database and topic with the same learners enrolled (untimed), "
        "then consumes the same mix of PICS changes against the SA sandbox at a set latency. The naive loop "
        "consumes a tenth of the events (it is that slow); rates are per event.",
    )
    push.add_argument("--events", type=int, default=5000, help="PICS changes per contender (default 5000)")
    push.add_argument("--learners", type=int, default=500, help="learners they are spread over (default 500)")
    push.add_argument("--latency-ms", type=float, default=20.0, help="the sandbox's latency per call (default 20)")
    push.add_argument(
        "--concurrency",
        type=int,
        default=32,
        help="the cap on SA calls at once (default 32); the runtime runs PICS_SYNC_CONSUMER_WORKERS workers,"
        " by default 1.5 times the cap",
    )
    push.add_argument(
        "--repeat",
        type=_at_least_one,
        default=1,
        help="run the runtime and the floor this many times, taking turns, and report each one's median run"
        " (default 1)",
    )
    push.add_argument(
        "--processes",
        type=_process_counts,
        metavar="N,N…",
        help="for each N (e.g. 1,2): the runtime as `pics-sync run --processes N` beside the floor in N processes"
        " (the SA cap shared among them), the naive loop once; per N events/s, the ratios, CPU per event, the p99"
        " at 200 events/s offered and the highest rate with a p99 under 100 ms",
    )
    push.add_argument(
        "--steady-events", type=_at_least_one, default=2000, help="events offered at 200 events/s (default 2000)"
    )
    push.add_argument(
        "--search-seconds",
        type=float,
        default=4.0,
        help="with --processes: how long each step of the max-rate search offers its rate (default 4)",
    )
    push.add_argument(
        "--search-steps",
        type=int,
        default=6,
        help="with --processes: steps of the max-rate search, doubling from 200 events/s, then up to two"
        " bisections (default 6)",
    )
    push.add_argument("--json", action="store_true", help="end with one JSON object on the last line")
    push.set_defaults(handler=_push)
    replay = kinds.add_parser(
        "replay",
        help="replay a topic SA already holds: events/s and SA write calls (target 0)",
        description="Enrols the learners, applies N PICS changes (the demo's mix) with the runtime so SA is in "
        "step (untimed), then replays every push topic from its start with `pics-sync replay` against the "
        "sandbox at a set latency.",
    )
    replay.add_argument("--events", type=int, default=100_000, help="PICS changes on the topics (default 100000)")
    replay.add_argument("--learners", type=int, default=1000, help="learners they are spread over (default 1000)")
    replay.add_argument("--latency-ms", type=float, default=20.0, help="the sandbox's latency per call (default 20)")
    replay.add_argument("--json", action="store_true", help="end with one JSON object on the last line")
    replay.set_defaults(handler=_replay)
    _register_reconcile(kinds)


def _at_least_one(text: str) -> int:
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {number}")
    return number


def _process_counts(text: str) -> list[int]:
    """``--processes``: whole numbers, 1 or more, separated by commas, each once."""
    counts = [part.strip() for part in text.split(",")]
    if not all(part.isascii() and part.isdigit() and int(part) >= 1 for part in counts):
        raise argparse.ArgumentTypeError(f"must be whole numbers, 1 or more, separated by commas, not {text!r}")
    return sorted({int(part) for part in counts})


def _on_local_stack(bench: Callable[..., dict[str, Any]], **options: Any) -> dict[str, Any]:
    """``bench(stack, config, **options)`` on a local stack of its own, logging only warnings."""
    from sandbox.stack.local import local_stack  # noqa: TID251 (lazy: the sandbox extra is optional)

    configure_logging("WARNING")
    print("starting the local stack (Kafka, PostgreSQL, SA sandbox)…", file=sys.stderr)
    with local_stack(reuse_env=False) as stack:
        return bench(stack, stack_config(stack), **options)


@needs_sandbox_extra("bench")
def _push(args: argparse.Namespace) -> int:
    from sandbox.bench.push import bench_push  # noqa: TID251 (lazy: the sandbox extra is optional)
    from sandbox.bench.push_members import bench_push_processes  # noqa: TID251 (lazy: as above)

    sizes = {
        "events": args.events, "learners": args.learners, "latency": args.latency_ms,
        "concurrency": args.concurrency, "repeat": args.repeat, "steady_events": args.steady_events,
    }  # fmt: skip
    if args.processes and max(args.processes) > args.concurrency:
        raise ConfigurationError(
            f"--processes {max(args.processes)} is more than --concurrency {args.concurrency}: the cap is shared"
            " among the members, each needs at least one SA call at once"
        )
    if args.processes:
        result = _on_local_stack(
            bench_push_processes, processes=args.processes, search_seconds=args.search_seconds,
            search_steps=args.search_steps, **sizes,
        )  # fmt: skip
        _print_processes(result)
    else:
        result = _on_local_stack(bench_push, **sizes)
        _print_contenders(result)
    if args.json:
        print(json.dumps(result))
    return 0


_COLUMNS = ("events", "events_per_s", "p50_ms", "p99_ms", "sa_calls_per_event", "peak_rss_mb")
_ROWS = ("naive", "runtime", "floor", "at_200_per_s")


def _print_contenders(result: dict[str, Any]) -> None:
    """The contenders side by side, then the ratios."""
    print(f"{'':<14}" + "".join(f"{column:>20}" for column in _COLUMNS))
    for row in _ROWS:
        print(f"{row:<14}" + "".join(f"{result[row][column]:>20}" for column in _COLUMNS))
    stages = result["runtime"].get("cpu_ms_per_event_by_stage", {})
    if stages:
        print("runtime CPU ms per event by stage: " + ", ".join(f"{stage} {ms}" for stage, ms in stages.items()))
    for name, value in result.items():
        if name not in _ROWS:
            print(f"{name:<14}  {value}")


_PER_N = (
    "events_per_s", "ratio_vs_floor", "ratio_vs_naive", "cpu_ms_per_event", "p99_ms_at_200",
    "max_rate_p99_under_100ms", "floor_events_per_s", "floor_cpu_ms_per_event",
)  # fmt: skip


def _print_processes(result: dict[str, Any]) -> None:
    """One row per N, the naive loop's figures, then the rest (the scale, the machine's speed)."""
    print(f"{'N':<4}" + "".join(f"{column:>26}" for column in _PER_N))
    for count, figures in result["processes"].items():
        print(f"{count:<4}" + "".join(f"{figures[column]!s:>26}" for column in _PER_N))
    print(f"{'naive':<14}  {result['naive']}")
    for name, value in result.items():
        if name not in ("processes", "naive"):
            print(f"{name:<14}  {value}")


@needs_sandbox_extra("bench")
def _replay(args: argparse.Namespace) -> int:
    from sandbox.bench.replay import bench_replay  # noqa: TID251 (lazy: the sandbox extra is optional)

    result = _on_local_stack(bench_replay, events=args.events, learners=args.learners, latency=args.latency_ms)
    _print(result, args.json)
    return 0


def _print(result: dict[str, Any], as_json: bool) -> None:
    width = max(map(len, result))
    for name, value in result.items():
        print(f"{name:<{width}}  {value}")
    if as_json:
        print(json.dumps(result))


@needs_sandbox_extra("bench")
def _pull(args: argparse.Namespace) -> int:
    from sandbox.bench.pull import bench_pull  # noqa: TID251 (lazy: the sandbox extra is optional)

    result = _on_local_stack(bench_pull, learners=args.learners, rate=args.rate, latency_ms=args.latency_ms)
    _print(result, args.json)
    return 0


def _register_reconcile(kinds: Any) -> None:
    reconcile = kinds.add_parser(
        "reconcile",
        help="the synchronisation of differences over N learners with 1.5%% of them drifted: found, repaired, "
        "predicted, and its time against the floor",
        description="Stores N learners in step in PICS and the SA sandbox (untimed), corrupts 1% of them in SA in "
        "five kinds and edits 0.5% in PICS while S1 is off, then runs `reconcile --dry-run`, a real reconcile "
        "against the sandbox slowed to a latency and rate limit (timed, against the floor: SA calls / rate "
        "limit), and a second real run; it reads SA back to check each corrupted field was found and repaired.",
    )
    reconcile.add_argument("--learners", type=_at_least_one, default=10_000, help="eligible learners (default 10000)")
    reconcile.add_argument("--rate", type=float, default=200.0, help="the sandbox's rate limit, calls/s (default 200)")
    reconcile.add_argument("--latency-ms", type=float, default=50.0, help="the sandbox's latency per call (default 50)")
    reconcile.add_argument("--json", action="store_true", help="end with one JSON object on the last line")
    reconcile.set_defaults(handler=_reconcile)


@needs_sandbox_extra("bench")
def _reconcile(args: argparse.Namespace) -> int:
    from sandbox.bench.reconcile import bench_reconcile  # noqa: TID251 (lazy: the sandbox extra is optional)

    result = _on_local_stack(bench_reconcile, learners=args.learners, rate=args.rate, latency_ms=args.latency_ms)
    _print(result, args.json)
    return 0
