"""``pics-sync replay``: a range of a topic applied again, by a group of its own (the live one is untouched)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from consumers.ops.replay import Position, Record, ReplayOptions, Summary, parse_position, replay
from consumers.service import open_service
from sync_core.config import load_config
from sync_core.logs import configure_logging
from sync_core.outcome import Outcome
from sync_core.pipeline.process import RunMode
from sync_core.pipeline.routes import PULL_TOPICS, PUSH_TOPICS

POSITIONS = "an ISO time with its zone (2026-11-23T09:00:00Z), offset:N (in every partition), earliest or latest"


def register(subcommands: Any) -> None:
    """Add ``replay``."""
    cmd = subcommands.add_parser(
        "replay",
        help="apply a range of a topic again through the pipeline, with a group of its own that commits nothing",
        description="Reads [--from, --to) of every partition of --topic, coalesces superseded edits of one key, "
        "and processes the rest in offset order. The live consumer group's offsets are not touched.",
    )
    cmd.add_argument("--topic", required=True, choices=PUSH_TOPICS + PULL_TOPICS, help="the logical topic")
    cmd.add_argument(
        "--from", dest="start", required=True, type=_position, metavar="WHEN", help=f"first event: {POSITIONS}"
    )
    cmd.add_argument(
        "--to",
        dest="end",
        type=_position,
        default="latest",
        metavar="WHEN",
        help=f"end, exclusive (default latest): {POSITIONS}",
    )
    cmd.add_argument("--keys", type=_keys, metavar="K1,K2", help="only these keys (Learner Idents…), comma-separated")
    cmd.add_argument("--dry-run", action="store_true", help="report the SA writes it would make; make none")
    cmd.add_argument("--force", action="store_true", help="push even what the ledger and hashes say SA holds")
    cmd.add_argument("--no-coalesce", action="store_true", help="process every edit, superseded or not")
    cmd.add_argument("--verbose", action="store_true", help="one line per event")
    cmd.add_argument("--json", action="store_true", help="end with the summary as one JSON object")
    cmd.set_defaults(handler=_replay)


def _position(text: str) -> Position:
    try:
        return parse_position(text)
    except ValueError as bad:
        raise argparse.ArgumentTypeError(f"{bad}; give {POSITIONS}") from None


def _keys(text: str) -> frozenset[str]:
    keys = frozenset(key.strip() for key in text.split(",") if key.strip())
    if not keys:
        raise argparse.ArgumentTypeError("give at least one key")
    return keys


def _replay(args: argparse.Namespace) -> int:
    config = load_config()
    configure_logging(config.log_level)
    mode = RunMode(dry_run=args.dry_run, force=args.force)
    options = ReplayOptions(args.topic, args.start, args.end, args.keys, mode, coalesce=not args.no_coalesce)
    with open_service(config, paced=True) as service:
        summary = replay(config, service.ports, options, _print_record if args.verbose else _silent)
    print(json.dumps(summary.as_dict()) if args.json else _text(summary))
    return 0


def _silent(_record: Record, _outcome: Outcome | None) -> None:
    return None


def _print_record(record: Record, outcome: Outcome | None) -> None:
    source = record.delivery.source
    name = record.event.name if record.event is not None else "(undecodable)"
    done = "coalesced" if outcome is None else outcome.kind.value
    detail = "" if outcome is None else ", ".join(outcome.writes) or (outcome.reason or "")
    print(f"{source.partition}:{source.offset} {source.key} {name} {done} {detail}".rstrip())


def _text(summary: Summary) -> str:
    shown = summary.as_dict()
    verb = "SA writes it would make" if summary.mode.dry_run else "SA writes made"
    writes = ", ".join(f"{kind} × {n}" for kind, n in shown.pop("sa_writes").items()) or "none"
    lines = [f"{name.replace('_', ' '):<14} {value}" for name, value in shown.items()]
    return "\n".join([*lines, f"{verb}: {writes}"])
