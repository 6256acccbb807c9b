"""``pics-sync learner IDENT``: the console's learner page as text — what became of each event of one learner.

One block per section, in this order: the in-sync indicator with its checks, the links (the learner's
and its records'), the events newest first (outcome, rule ids, SA calls, where it came from, reason),
the differences those events found (D3), the parked events, and the differences found by no event
shown. ``--json`` prints the same as one JSON document (times in ISO 8601). Everything shown is an id,
an event type, an outcome, a reason, a rule id, a field name or a count (``consumers.ops.learner_view``).

Exit codes: 0 shown; 1 the sync state holds nothing of that learner (no event, link, parked event or
difference), or the database cannot be reached; 2 a bad option value or configuration. It only reads:
it runs no migration, as ``status`` does not.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from consumers.cli.common import reading_pool, table
from consumers.cli.dlq_cmd import summary
from consumers.ops.learner_view import LearnerView, gather, rules_of
from consumers.web.queries import LedgerRow, Link
from sync_core.config import load_config
from sync_core.errors import ConfigurationError
from sync_core.logs import configure_logging
from sync_core.state.drift import DriftRecord

_EXIT_CODES = (
    "exit status: 0 shown; 1 nothing is known of that learner (no event, link, parked event or difference) "
    "or the database cannot be reached; 2 a bad option value"
)


def register(subcommands: Any) -> None:
    """Add ``learner``."""
    cmd = subcommands.add_parser(
        "learner",
        help="one learner's events with their outcome, reason and rule, its links and parked events",
        description="The console's learner page as text: ids, outcomes, reasons, rule ids and counts, "
        "never a learner's details. Reads the sync state only (no migration).",
        epilog=_EXIT_CODES,
    )
    cmd.add_argument("ident", metavar="IDENT", help="the Learner Ident (the key of its events on pics.learner)")
    cmd.add_argument("--json", action="store_true", help="one JSON document instead of text")
    cmd.add_argument("--limit", type=int, metavar="N", default=200, help="the newest N events (default 200)")
    cmd.set_defaults(handler=_learner)


def _learner(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise ConfigurationError(f"--limit must be at least 1, not {args.limit}")
    view = _view(args.ident.strip(), args.limit)
    if not view.known:
        print(f"pics-sync: nothing is known of learner {view.key}: no event, link or parked event", file=sys.stderr)
        return 1
    print(json.dumps(document(view)) if args.json else render(view))
    return 0


def _view(key: str, limit: int) -> LearnerView:
    config = load_config()
    configure_logging(config.log_level)
    with reading_pool(config) as pool:
        return gather(pool, key, limit)


def document(view: LearnerView) -> dict[str, Any]:
    """The view as one JSON-ready document."""
    state = view.state
    return {
        "learner": view.key,
        "state": {"label": state.label, "in_sync": state.in_sync, "linked": state.linked,
                  "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in state.checks]},
        "links": [_link(link) for link in [*view.links, *view.record_links]],
        "events": [{**_event(row), "differences": [_difference(d) for d in view.repairs.by_event.get(row.event_id, [])]}
                   for row in view.ledger],
        "parked": {"count": view.parked_count, "events": [summary(event) for event in view.parked]},
        "other_differences": [_difference(d) for d in view.repairs.other],
    }  # fmt: skip


def _link(link: Link) -> dict[str, Any]:
    return {**vars(link), "linked_at": link.linked_at.isoformat()}


def _event(row: LedgerRow) -> dict[str, Any]:
    return {"processed_at": row.processed_at.isoformat(), "event_id": row.event_id, "event_type": row.event_type,
            "outcome": row.outcome, "rules": list(rules_of(row)), "reason": row.reason, "sa_calls": row.sa_calls,
            "topic": row.topic, "partition": row.partition, "offset": row.offset}  # fmt: skip


def _difference(record: DriftRecord) -> dict[str, Any]:
    return {"found_at": record.found_at.isoformat(), "run_id": record.run_id, "entity": record.entity,
            "pics_id": record.pics_id, "sa_resource": record.sa_resource, "field": record.field,
            "direction": record.direction, "action": record.action, "event_id": record.event_id}  # fmt: skip


def render(view: LearnerView) -> str:
    """The view as an operator reads it: one block a section, in a fixed order."""
    return "\n\n".join([_state(view), _links(view), _events(view), _found(view), _parked(view), _other(view)])


def _state(view: LearnerView) -> str:
    lines = [f"learner {view.key}: {view.state.label}"]
    lines += [f"  {'ok' if c.ok else '!!'}  {c.name}: {c.detail}" for c in view.state.checks]
    return "\n".join(lines)


def _links(view: LearnerView) -> str:
    links = [*view.links, *view.record_links]
    if not links:
        return "links: none (not in Smart Assessor)"
    rows = [(link.entity, link.pics_id, link.sa_id, _utc(link.linked_at)) for link in links]
    return "links (PICS id → SA id)\n" + table(("entity", "pics id", "sa id", "linked at"), rows)


def _events(view: LearnerView) -> str:
    if not view.ledger:
        return "events: none in the ledger"
    rows = [(_utc(r.processed_at), r.event_type, r.outcome, ",".join(rules_of(r)) or "-", str(r.sa_calls),
             f"{r.topic}/{r.partition}/{r.offset}", r.event_id, r.reason or "-") for r in view.ledger]  # fmt: skip
    header = ("processed at", "event", "outcome", "rule", "sa calls", "topic/partition/offset", "event id", "reason")
    return f"events, newest first ({len(view.ledger)} shown)\n" + table(header, rows)


def _found(view: LearnerView) -> str:
    found = [(r.event_id, d) for r in view.ledger for d in view.repairs.by_event.get(r.event_id, [])]
    if not found:
        return "differences found by these events: none"
    rows = [(event_id, d.entity, d.pics_id or "-", d.sa_resource or "-", d.field, d.direction, d.action)
            for event_id, d in found]  # fmt: skip
    header = ("event id", "entity", "pics id", "sa resource", "field", "direction", "action")
    return "differences found by these events (D3)\n" + table(header, rows)


def _parked(view: LearnerView) -> str:
    if not view.parked_count:
        return "parked events: none"
    rows = [(str(e.id), _utc(e.parked_at), f"{e.topic}/{e.partition}/{e.offset}", e.event_type or "-",
             e.error_class, str(e.attempts), e.reason) for e in view.parked]  # fmt: skip
    header = ("id", "parked at", "topic/partition/offset", "event", "error", "attempts", "reason")
    return f"parked events ({view.parked_count}; `pics-sync dlq redrive --key {view.key}`)\n" + table(header, rows)


def _other(view: LearnerView) -> str:
    if not view.repairs.other:
        return "other differences of its records: none"
    rows = [(_utc(d.found_at), "-" if d.run_id is None else str(d.run_id), d.entity, d.pics_id or "-",
             d.sa_resource or "-", d.field, d.direction, d.action) for d in view.repairs.other]  # fmt: skip
    header = ("found at", "run", "entity", "pics id", "sa resource", "field", "direction", "action")
    return "other differences of its records (found by no event above)\n" + table(header, rows)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
