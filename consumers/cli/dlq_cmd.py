"""``pics-sync dlq list|show|redrive|discard``: the parked events (the dead-letter queue) for an operator.

Exit codes: 0 done; 1 nothing matched, a redriven event parked again, or a discard was declined;
2 a bad option value (an age, a limit) or a discard without ``--yes`` and no terminal to ask on.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import UTC, timedelta
from typing import Any

from consumers.cli.common import pool_from_env
from consumers.ops.redrive import V1_NOT_ENROLLED, KeyReport, redrive, select
from consumers.progress import Progress
from consumers.service import open_service
from sync_core.config import RuntimeConfig, load_config, topic
from sync_core.errors import ConfigurationError, UndecodableEvent
from sync_core.logs import configure_logging
from sync_core.outcome import Kind
from sync_core.pipeline.process import RunMode
from sync_core.serde import AvroSerde, DecodedEvent
from sync_core.state.parked import ParkedEvent, ParkedEvents, ParkedFilter

_EXIT_CODES = "exit status: 0 done, 1 nothing matched (see each action), 2 a bad option value"
_AGE = re.compile(r"\s*(\d+)\s*([smhdw])\s*")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_TABLE = ("id", "parked at (UTC)", "topic/partition/offset", "key", "event", "error", "attempts", "reason")


def register(subcommands: Any) -> None:
    """Add ``dlq`` and its actions."""
    cmd = subcommands.add_parser("dlq", help="list, show, redrive or discard parked events", epilog=_EXIT_CODES)
    actions = cmd.add_subparsers(dest="action", required=True, metavar="ACTION")
    _register_list(actions)
    _register_show(actions)
    _register_redrive(actions)
    _register_discard(actions)


def _register_list(actions: Any) -> None:
    cmd = actions.add_parser("list", help="parked events as a table, in the order a redrive replays them")
    cmd.add_argument("--key", help="only this key (the Learner Ident on pics.learner)")
    cmd.add_argument("--reason", help="only reasons containing this text, any case")
    cmd.add_argument("--older-than", metavar="AGE", help="only parked longer ago than AGE: 45m, 2h, 3d, 1w")
    cmd.add_argument("--newer-than", metavar="AGE", help="only parked within the last AGE")
    cmd.add_argument("--topic", help="only this topic (pics.learner; the topic prefix is added)")
    cmd.add_argument("--limit", type=int, help="at most this many rows")
    cmd.add_argument("--json", action="store_true", help="one JSON array instead of a table")
    cmd.set_defaults(handler=_list)


def _register_show(actions: Any) -> None:
    cmd = actions.add_parser(
        "show", help="one parked event in full: where it came from, its envelope, why it waits", epilog=_EXIT_CODES
    )
    cmd.add_argument("id", type=int, help="the id `dlq list` shows; exit 1 when there is none")
    cmd.add_argument("--payload", action="store_true", help="also the event's fields: personal data, mind who reads")
    cmd.add_argument("--json", action="store_true", help="one JSON object instead of lines")
    cmd.set_defaults(handler=_show)


def _register_redrive(actions: Any) -> None:
    cmd = actions.add_parser(
        "redrive",
        help="process a key's parked events again, in order, through the same handlers",
        description="Each key's parked events run again in (topic, partition, offset) order; the first that "
        "parks again stops its key and the rest stay parked behind it. --id redrives the whole key of that "
        "event, since a key's events only ever run in order.",
        epilog="exit status: 0 every selected event left the DLQ (or would, with --dry-run); 1 nothing "
        "matched, or an event parked again; 2 a bad option value or the integration is off (S1)",
    )
    which = cmd.add_mutually_exclusive_group(required=True)
    which.add_argument("--key", help="every parked event of this key")
    which.add_argument("--id", type=int, help="the key of this parked event: all its events, in order")
    which.add_argument("--reason", help="every key with an event parked for a reason containing this text, any case")
    which.add_argument("--all", action="store_true", help="every key, the longest-waiting first")
    cmd.add_argument("--dry-run", action="store_true", help="plan and report; call SA for nothing, change nothing")
    cmd.add_argument("--json", action="store_true", help="one JSON array of per-key reports")
    cmd.set_defaults(handler=_redrive)
    resolve = actions.add_parser(
        "resolve-not-enrolled",
        help='after upgrading to DOMAIN v2: settle the events v1 parked as "not enrolled (X2)"',
        description=f'v1 parked an event about a learner not yet in SA as "{V1_NOT_ENROLLED}", and the '
        "learner's later events, its enrolment included, waited behind it for good. v2 skips such an event "
        '("not in Smart Assessor"). This redrives every key with such a parked event under v2: the head is '
        "recorded as skipped and what waited behind it is applied, in order. The same as "
        f'`dlq redrive --reason "{V1_NOT_ENROLLED}"`.',
        epilog="exit status: as `dlq redrive`",
    )
    resolve.add_argument("--dry-run", action="store_true", help="plan and report; call SA for nothing, change nothing")
    resolve.add_argument("--json", action="store_true", help="one JSON array of per-key reports")
    resolve.set_defaults(handler=_redrive, key=None, id=None, reason=V1_NOT_ENROLLED)


def _register_discard(actions: Any) -> None:
    cmd = actions.add_parser(
        "discard",
        help="delete parked events for good, after confirmation",
        epilog="exit status: 0 discarded; 1 nothing matched or the answer was no; 2 not interactive and no --yes",
    )
    which = cmd.add_mutually_exclusive_group(required=True)
    which.add_argument("--id", type=int, help="this parked event only")
    which.add_argument("--key", help="every parked event of this key")
    which.add_argument("--reason", help="every parked event whose reason contains this text, any case")
    cmd.add_argument("--yes", action="store_true", help="do not ask (required when stdin is not a terminal)")
    cmd.set_defaults(handler=_discard)


def parse_age(text: str) -> timedelta:
    """``45m``, ``2h``, ``3d``, ``1w`` as a duration; ``ConfigurationError`` for anything else."""
    match = _AGE.fullmatch(text)
    if match is None:
        raise ConfigurationError(f"bad age {text!r}: a whole number and a unit, s, m, h, d or w (e.g. 2h, 3d)")
    return timedelta(**{_UNITS[match[2]]: int(match[1])})


def _filter(args: argparse.Namespace, config: RuntimeConfig) -> ParkedFilter:
    if args.limit is not None and args.limit < 1:
        raise ConfigurationError(f"--limit must be at least 1, not {args.limit}")
    name = args.topic
    physical = name if name is None or name.startswith(config.topic_prefix) else topic(config, name)
    older, newer = (None if age is None else parse_age(age) for age in (args.older_than, args.newer_than))
    return ParkedFilter(key=args.key, topic=physical, reason=args.reason, older_than=older, newer_than=newer)


def summary(event: ParkedEvent) -> dict[str, Any]:
    """What ``list`` shows of a parked event: where it came from and why it waits; no personal data."""
    return {"id": event.id, "parked_at": event.parked_at.isoformat(), "topic": event.topic,
            "partition": event.partition, "offset": event.offset, "key": event.key, "event_id": event.event_id,
            "event_type": event.event_type, "error_class": event.error_class, "reason": event.reason,
            "attempts": event.attempts}  # fmt: skip


def _table(events: list[ParkedEvent]) -> str:
    rows = [_TABLE] + [
        (str(e.id), e.parked_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"), f"{e.topic}/{e.partition}/{e.offset}",
         e.key or "-", e.event_type or "-", e.error_class, str(e.attempts), e.reason)
        for e in events
    ]  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(_TABLE) - 1)]  # the reason runs on unpadded
    return "\n".join("  ".join([*(c.ljust(w) for c, w in zip(row, widths, strict=False)), row[-1]]) for row in rows)


def _list(args: argparse.Namespace) -> int:
    where = _filter(args, load_config())
    with pool_from_env() as pool:
        events = ParkedEvents(pool).find(where, args.limit)
    if args.json:
        print(json.dumps([summary(e) for e in events]))
    else:
        print(_table(events) if events else "no parked events match")
    return 0


def detail(event: ParkedEvent, serde: AvroSerde, *, payload: bool) -> dict[str, Any]:
    """Everything ``show`` tells of a parked event; the event's fields only with ``payload``."""
    shown: dict[str, Any] = {**summary(event), "headers": [name for name, _value in event.headers]}
    try:
        decoded = serde.decode(event.value)
    except UndecodableEvent as bad:
        shown["decode_error"] = str(bad)
        if payload:
            shown["value_hex"] = None if event.value is None else event.value.hex()
        return shown
    shown["envelope"] = _envelope(decoded)
    shown["event_type"] = decoded.name
    if payload:
        shown["payload"] = decoded.payload
    return shown


def _envelope(decoded: DecodedEvent) -> dict[str, Any]:
    envelope = decoded.envelope
    return {
        "event_id": envelope.event_id,
        "occurred_at": envelope.occurred_at.isoformat(),
        "source": envelope.source,
        "schema_version": envelope.schema_version,
        "changed_fields": list(envelope.changed_fields),
        "writer_schema": decoded.writer_schema_id,
    }


def _show(args: argparse.Namespace) -> int:
    with open_service(load_config()) as service:
        event = ParkedEvents(service.pool).get(args.id)
        shown = None if event is None else detail(event, service.ports.serde, payload=args.payload)
    if shown is None:
        print(f"pics-sync: no parked event with id {args.id}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(shown, default=str))
        return 0
    for name, value in shown.items():
        text = json.dumps(value, default=str) if isinstance(value, dict | list) else value
        text = "-" if text is None else text
        print(f"{name:<16} {text}")
    return 0


def _redrive(args: argparse.Namespace) -> int:
    config = load_config()
    configure_logging(config.log_level)
    with open_service(config) as service:
        refs = select(ParkedEvents(service.pool), key=args.key, parked_id=args.id, reason=args.reason)
        progress = Progress(len(refs), "redrive: keys") if len(refs) > 1 else None
        reports = redrive(service, refs, RunMode(dry_run=args.dry_run), progress) if refs else []
        if progress:
            progress.close()
    if not reports:
        print("pics-sync: no parked event matches", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps([r.as_dict() for r in reports]))
    else:
        print("\n".join(_report_line(r, dry_run=args.dry_run) for r in reports))
    return 1 if any(r.parked_again for r in reports) else 0


def _report_line(report: KeyReport, *, dry_run: bool) -> str:
    verb = "would redrive" if dry_run else "redriven"
    counts = ", ".join(f"{kind.value} {n}" for kind in Kind if (n := report.count(kind)))
    line = f"{report.topic} {report.key or '(no key)'}: {verb} {len(report.outcomes)} ({counts})"
    if report.parked_again:
        line += f"; parked again: {report.reason}; {report.still_parked} still parked"
    return line


def _discard(args: argparse.Namespace) -> int:
    with pool_from_env() as pool:
        parked = ParkedEvents(pool)
        events = _to_discard(parked, args)
        if not events:
            print("pics-sync: no parked event matches", file=sys.stderr)
            return 1
        if not args.yes and not _confirmed(events):
            print("nothing discarded")
            return 1
        print(f"discarded {parked.discard([e.id for e in events])} parked event(s)")
    return 0


def _to_discard(parked: ParkedEvents, args: argparse.Namespace) -> list[ParkedEvent]:
    if args.id is not None:
        event = parked.get(args.id)
        return [] if event is None else [event]
    return parked.find(ParkedFilter(key=args.key, reason=args.reason))


def _confirmed(events: list[ParkedEvent]) -> bool:
    if not sys.stdin.isatty():
        raise ConfigurationError(f"{len(events)} parked event(s) match; stdin is not a terminal: add --yes to discard")
    print(_table(events))
    return input(f"Discard these {len(events)} parked event(s) for good? [y/N] ").strip().lower() in ("y", "yes")
