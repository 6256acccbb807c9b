"""``pics-sync reconcile [--dry-run] [--learner IDENT] [--entity E] [--resume]``: the synchronisation of
differences on demand (``consumers.ops.reconcile``); ``pics-sync reconcile report``: the drift record
(DOMAIN.md D3) for an operator.

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
from consumers.ops.reconcile_requests import ENTITIES
from consumers.service import Service, open_service
from sync_core.config import load_config
from sync_core.errors import ConfigurationError
from sync_core.logs import configure_logging
from sync_core.state.drift import DriftCount, DriftLog, DriftRecord

_REPORT_EXITS = (
    "exit status: 0 done; 1 no daily run yet (--run latest) or no such PICS learner (--values); 2 a bad option value"
)
_COUNTS = ("entity", "field", "direction", "action", "count")
_RECORDS = ("id", "found at (UTC)", "run", "entity", "PICS record", "SA resource", "field", "direction", "action",
            "event")  # fmt: skip
_VALUES = ("entity", "PICS record", "SA resource", "field", "direction", "last action", "found at (UTC)", "PICS", "SA")
DISABLED = {"status": "skipped", "reason": "integration disabled (S1)"}
PERSONAL = "PERSONAL DATA: as PICS and SA hold them now (a repaired difference shows two equal values); mind who reads"


def register(subcommands: Any) -> None:
    """Add ``reconcile`` and its actions."""
    cmd = subcommands.add_parser(
        "reconcile", help="the synchronisation of differences (D1–D6) and its drift report (D3)",
        description="A real run is a run of its own: one reconcile request per record, which the push consumer "
        "(`pics-sync run`) compares with SA and repairs in the record's order (D5); `reconcile report --run R` shows "
        "what it found. A dry run compares here and now and lists the writes (D4).",
    )  # fmt: skip
    cmd.add_argument("--dry-run", action="store_true", help="compare now and print, per record and field, the "
                     "writes a real run would make; make none (D4)")  # fmt: skip
    cmd.add_argument("--learner", metavar="IDENT", help="only this learner (any Live learner in SA) and its employer "
                     "and assessors; default every eligible learner (Y1) and theirs")  # fmt: skip
    cmd.add_argument("--entity", action="append", choices=ENTITIES, help="only these records (repeat for more): the "
                     "learners, or the employers or assessors linked to them; default all three")  # fmt: skip
    cmd.add_argument("--resume", action="store_true", help="carry on the last reconcile run, if it did not finish, "
                     "after its checkpoint, over what it covered")  # fmt: skip
    cmd.add_argument("--concurrency", type=int, default=16, help="records a dry run compares at once (default 16); "
                     "SA calls stay under PICS_SYNC_SA_RATE_LIMIT_PER_S")  # fmt: skip
    cmd.add_argument("--chunk", type=int, default=500, help="requests between checkpoints (default 500)")
    cmd.add_argument("--json", action="store_true", help="print one JSON object (and no progress bar)")
    cmd.set_defaults(handler=_run)
    actions = cmd.add_subparsers(dest="action", metavar="ACTION")
    _register_report(actions)


def _run(args: argparse.Namespace) -> int:
    """A real run asks the push consumer for each record's comparison (in its key order, D5); a dry run
    compares here and prints what would be written."""
    options = run_options(args)
    config = load_config()
    configure_logging(config.log_level)  # on stderr: stdout is the run's own output
    with open_service(config, paced=True) as service:  # the dry run's SA reads: the consumer's token bucket
        if not service.ports.settings().integration_enabled:  # S1: the consumer would skip every request
            print(json.dumps(DISABLED) if args.json else "integration disabled (S1): nothing compared, nothing sent")
            return 0
        if not args.dry_run:
            summary = _real_run(service, args, options)
            print(json.dumps(summary) if args.json else run_text(summary))
            return 0
        scope = reconcile.Scope.of(args.entity, args.learner)
        found = reconcile.predict(service, reconcile.targets(service, scope), options)
    print(json.dumps(dry_run(found)) if args.json else dry_run_text(found))
    return 0


def run_options(args: argparse.Namespace) -> reconcile.Options:
    """The run's options; a bad or conflicting one refused before anything is opened."""
    if args.resume and (args.dry_run or args.learner or args.entity):
        raise ConfigurationError("--resume carries on the last run over what it covered: no --dry-run, --learner "
                                 "or --entity with it")  # fmt: skip
    for name in ("concurrency", "chunk"):
        if getattr(args, name) < 1:
            raise ConfigurationError(f"--{name} must be at least 1, not {getattr(args, name)}")
    progress = not args.json and sys.stderr.isatty()  # as the pull: a bar for a person at a terminal only
    return reconcile.Options(chunk=args.chunk, concurrency=args.concurrency, progress=progress)


def _real_run(service: Service, args: argparse.Namespace, options: reconcile.Options) -> dict[str, Any]:
    if not args.resume:
        started = reconcile.start(service, reconcile.Scope.of(args.entity, args.learner))
        return reconcile.send(service, started, options)
    row = reconcile.last_run(service)
    if row is None or row["status"] == "succeeded":
        return {"run_id": None if row is None else row["id"], "status": "nothing to resume"}
    return reconcile.send(service, reconcile.resume(service, row), options)


def run_text(summary: dict[str, Any]) -> str:
    run = summary["run_id"]
    if summary["status"] == "nothing to resume":
        return f"no reconcile run to resume: {'none has run yet' if run is None else f'the last, run {run}, finished'}"
    counts = summary["reconcile_requested"], summary["reconcile_requested_employers"], summary[
        "reconcile_requested_assessors"]  # fmt: skip
    sent = "{} learner(s), {} employer(s), {} assessor(s)".format(*counts)
    return (f"reconcile run {run}{' (resumed)' if summary['resumed'] else ''}: {sum(counts)} request(s) sent: {sent}\n"
            f"the push consumer (`pics-sync run`) compares and repairs them; `pics-sync reconcile report --run {run}` "
            "shows what it found")  # fmt: skip


def _label(predicted: reconcile.Predicted) -> str:
    return f"{predicted.entity.removesuffix('s')} {predicted.record_id}"


def dry_run(found: list[reconcile.Predicted]) -> dict[str, Any]:
    """A dry run as JSON: the records compared by entity, each write a real run would make, what was not compared."""
    return {
        "records": len(found),
        **{entity: sum(p.entity == entity for p in found) for entity in ENTITIES},
        "differences": [_record(p) | asdict(d) for p in found for d in p.differences],
        "not_compared": [_record(p) | {"reason": p.not_compared} for p in found if p.not_compared],
    }


def _record(predicted: reconcile.Predicted) -> dict[str, str]:
    return {"kind": predicted.entity.removesuffix("s"), "record": predicted.record_id}


def dry_run_text(found: list[reconcile.Predicted]) -> str:
    """A dry run as a line of figures, a table of the writes per record and field, then what was not compared."""
    rows = [(_label(p), d.entity, d.sa_resource or "-", d.field, d.direction, d.action)
            for p in found for d in p.differences]  # fmt: skip
    counts = ", ".join(f"{sum(p.entity == e for p in found)} {e.removesuffix('s')}(s)" for e in ENTITIES)
    lines = [f"dry run: {len(found)} record(s) compared with SA ({counts}), {len(rows)} write(s) a real run would make"]
    if rows:
        lines.append(table(("record", "entity", "SA resource", "field", "direction", "action"), rows))
    lines += [f"  {_label(p)}: not compared: {p.not_compared}" for p in found if p.not_compared]
    return "\n".join(lines)


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
        "--run", metavar="RUN", help="only this run (its id, as `pull daily` or `reconcile` shows it, or "
        "`latest`: the latest daily run); default every run and refresh",
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
