"""``pics-sync reconcile [--dry-run] [--learner IDENT]``: the synchronisation of differences on demand
(``consumers.ops.reconcile``); ``pics-sync reconcile report``: the drift record (DOMAIN.md D3) for an operator.

The report names records, SA resources and fields, never a value. ``--values IDENT`` reads one
learner's two values again from PICS and SA and prints them: personal data, shown on that request
only (as ``dlq show --payload``), and never logged.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from consumers.cli.common import pool_from_env, table
from consumers.ops import reconcile
from consumers.ops.drift_values import Shown, learner_values
from consumers.service import open_service
from sync_core.config import load_config
from sync_core.errors import ConfigurationError
from sync_core.state.drift import DriftCount, DriftLog, DriftRecord

_REPORT_EXITS = (
    "exit status: 0 done; 1 no daily run yet (--run latest) or no such PICS learner (--values); 2 a bad option value"
)
_COUNTS = ("entity", "field", "direction", "action", "count")
_RECORDS = ("id", "found at (UTC)", "run", "entity", "PICS record", "SA resource", "field", "direction", "action",
            "event")  # fmt: skip
_VALUES = ("entity", "PICS record", "SA resource", "field", "direction", "last action", "found at (UTC)", "PICS", "SA")
PERSONAL = "PERSONAL DATA: as PICS and SA hold them now (a repaired difference shows two equal values); mind who reads"


def register(subcommands: Any) -> None:
    """Add ``reconcile`` and its actions."""
    cmd = subcommands.add_parser(
        "reconcile", help="the synchronisation of differences (D1–D6) and its drift report (D3)"
    )
    cmd.add_argument("--dry-run", action="store_true", help="compare now and print, per record and field, the "
                     "writes a real run would make; make none (D4)")  # fmt: skip
    cmd.add_argument("--learner", metavar="IDENT", help="only this learner (any Live learner in SA); default every "
                     "eligible learner (Y1)")  # fmt: skip
    cmd.add_argument("--json", action="store_true", help="print one JSON object")
    cmd.set_defaults(handler=_run)
    actions = cmd.add_subparsers(dest="action", metavar="ACTION")
    _register_report(actions)


def _run(args: argparse.Namespace) -> int:
    """A real run asks the push consumer for each learner's comparison (in its key order, D5); a dry run
    compares here and prints what would be written."""
    with open_service(load_config()) as service:
        learners = reconcile.learners_of(service, args.learner)
        if not args.dry_run:
            sent = reconcile.request(service, learners)
            done = f"{sent} reconcile request(s) sent: `pics-sync run` repairs them, `reconcile report` shows them"
            _say(args.json, {"reconcile_requested": sent}, done)
            return 0
        found = list(reconcile.predict(service, learners))
    rows = [(p.learner_ident, d.entity, d.sa_resource or "-", d.field, d.direction, d.action)
            for p in found for d in p.differences]  # fmt: skip
    not_compared = {p.learner_ident: p.not_compared for p in found if p.not_compared}
    if args.json:
        keys = ("learner", "entity", "sa_resource", "field", "direction", "action")
        print(json.dumps({"learners": len(found), "differences": [dict(zip(keys, row, strict=True)) for row in rows],
                          "not_compared": not_compared}))  # fmt: skip
        return 0
    print(f"dry run: {len(found)} learner(s) compared with SA, {len(rows)} write(s) a real run would make")
    if rows:
        print(table(("learner", "entity", "SA resource", "field", "direction", "action"), rows))
    for ident, why in sorted(not_compared.items()):
        print(f"  {ident}: not compared: {why}")
    return 0


def _say(as_json: bool, figures: dict[str, Any], text: str) -> None:
    print(json.dumps(figures) if as_json else text)


def _register_report(actions: Any) -> None:
    cmd = actions.add_parser(
        "report",
        help="the differences found between PICS and SA, and what was done: counts, then the records",
        description="Counts per entity, field, direction and action, then the records, newest first. The "
        "record holds no personal value; --values shows one learner's two values, read again from PICS and SA.",
        epilog=_REPORT_EXITS,
    )
    which = cmd.add_mutually_exclusive_group()
    which.add_argument(
        "--run", metavar="RUN", help="only this daily run (its id, as `pull daily` shows it, or `latest`); "
        "default every run and refresh",
    )  # fmt: skip
    which.add_argument(
        "--values", metavar="IDENT", help="the two values (PICS's, SA's) of this learner's recorded differences, "
        "its enrolments', employer's and assessors': personal data, mind who reads",
    )  # fmt: skip
    cmd.add_argument("--limit", type=int, default=100, help="at most this many records listed (default 100)")
    cmd.add_argument("--json", action="store_true", help="one JSON object instead of tables")
    cmd.set_defaults(handler=_report)


def _report(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise ConfigurationError(f"--limit must be at least 1, not {args.limit}")
    if args.values is not None:
        return _values(args.values, as_json=args.json)
    latest = args.run is not None and args.run.strip().lower() == "latest"
    run = None if latest else _run_id(args.run)
    with pool_from_env() as pool:
        log = DriftLog(pool)
        run = log.latest_run() if latest else run
        if latest and run is None:
            print("pics-sync: no daily run has been recorded yet", file=sys.stderr)
            return 1
        counts, records = log.counts(run), log.records(run, args.limit)
    print(json.dumps(report(run, counts, records)) if args.json else report_text(run, counts, records))
    return 0


def _run_id(given: str | None) -> int | None:
    """The run id ``--run`` names; None (no ``--run``): every run and refresh."""
    if given is None:
        return None
    if not given.strip().isdigit():
        raise ConfigurationError(f"bad --run {given!r}: a run id (a whole number) or latest")
    return int(given)


def report(run: int | None, counts: list[DriftCount], records: list[DriftRecord]) -> dict[str, Any]:
    """The report as JSON: the run (None: every run and refresh), the counts and the records; no value."""
    return {
        "run": run,
        "total": sum(c.count for c in counts),
        "counts": [asdict(c) for c in counts],
        "records": [summary(r) for r in records],
    }


def summary(record: DriftRecord) -> dict[str, Any]:
    """A record as JSON: what was found where, and what was done; no value."""
    return {**asdict(record), "found_at": record.found_at.isoformat()}


def report_text(run: int | None, counts: list[DriftCount], records: list[DriftRecord]) -> str:
    """The report as tables."""
    heading = "differences found, every run and refresh" if run is None else f"differences found in run {run}"
    if not counts:
        return f"{heading}\n  none recorded"
    total = sum(c.count for c in counts)
    rows = [(c.entity, c.field, c.direction, c.action, str(c.count)) for c in counts]
    more = "" if len(records) == total else " (--limit lists more)"
    listed = f"records, newest first: {len(records)} of {total}{more}"
    return "\n".join((f"{heading}: {total}", table(_COUNTS, rows), listed, table(_RECORDS, _record_rows(records))))


def _record_rows(records: list[DriftRecord]) -> list[tuple[str, ...]]:
    return [
        (str(r.id), _utc(r.found_at), _or_dash(r.run_id), r.entity, _or_dash(r.pics_id), _or_dash(r.sa_resource),
         r.field, r.direction, r.action, _or_dash(r.event_id))
        for r in records
    ]  # fmt: skip


def _values(ident: str, *, as_json: bool) -> int:
    with open_service(load_config()) as service:
        shown = learner_values(service, ident)
    if shown is None:
        print(f"pics-sync: PICS has no learner {ident}", file=sys.stderr)
        return 1
    print(json.dumps(values(ident, shown), default=str) if as_json else values_text(ident, shown))
    return 0


def values(ident: str, shown: list[Shown]) -> dict[str, Any]:
    """``--values`` as JSON: each recorded field with its two values, marked as personal data."""
    return {
        "learner": ident,
        "personal_data": True,
        "note": PERSONAL,
        "values": [
            {**summary(s.record), "pics": s.pics, "sa": s.sa, "pics_note": s.pics_note, "sa_note": s.sa_note}
            for s in shown
        ],
    }


def values_text(ident: str, shown: list[Shown]) -> str:
    """``--values`` as a table under a line that says it holds personal data."""
    heading = f"{PERSONAL}\nthe values of learner {ident}'s recorded differences"
    if not shown:
        return f"{heading}\n  none recorded"
    rows = [
        (s.record.entity, _or_dash(s.record.pics_id), _or_dash(s.record.sa_resource), s.record.field,
         s.record.direction, s.record.action, _utc(s.record.found_at), _value(s.pics, s.pics_note),
         _value(s.sa, s.sa_note))
        for s in shown
    ]  # fmt: skip
    return f"{heading}\n{table(_VALUES, rows)}"


def _value(value: Any, note: str | None) -> str:
    return f"({note})" if note else json.dumps(value, default=str)


def _or_dash(value: object) -> str:
    return "-" if value is None else str(value)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
