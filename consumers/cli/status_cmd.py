"""``pics-sync status``: consumer lag, parked events, the daily pull and the live consumers at a glance.

Exit codes: 0 nothing needs attention; 1 something does (each reason is listed first), or the
database cannot be reached; 2 a bad option value or configuration.

Status only reads: it runs no migration, so a read-only database user can run it (a database never
migrated is a one-line error naming ``pics-sync db migrate``). With ``--json`` the output is always one
JSON object, a failure too (``{"status": "error", "error": <class>, "reason": <our message>}``), so a
monitor parses every answer.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from consumers.cli.common import reading_pool, table
from consumers.cli.dlq_cmd import parse_age
from consumers.ops.status import SIDES, GroupStatus, PullRun, StatusReport, Thresholds, collect_status, human
from sync_core.config import load_config
from sync_core.errors import ConfigurationError, SyncError
from sync_core.logs import configure_logging, message_of

_DEFAULTS = Thresholds()
_EXIT_CODES = (
    "exit status: 0 all well; 1 something needs attention (parked events, a group lagging over --max-lag, "
    "Kafka unreadable, no live consumer in a group, SA's circuit open, the last daily pull failed or none "
    "succeeded within --max-pull-age) or the database cannot be reached; 2 a bad option value"
)


def register(subcommands: Any) -> None:
    """Add ``status``."""
    cmd = subcommands.add_parser(
        "status",
        help="lag, parked events, the daily pull and the consumers; exit 1 when something needs attention",
        description="Reads each group's committed offsets, its partitions' ends and its members from Kafka "
        "(joining no group), and the parked events, daily pull runs and consumer heartbeats from the database.",
        epilog=_EXIT_CODES,
    )
    cmd.add_argument("--json", action="store_true", help="one JSON object instead of tables")
    cmd.add_argument(
        "--side",
        choices=("push", "pull", "both"),
        default="both",
        help="push: the group PICS_SYNC_KAFKA_GROUP_ID on pics.*; pull: the updaters' group on sa.* and the "
        "daily pull; both (default)",
    )
    cmd.add_argument(
        "--max-lag",
        type=int,
        metavar="N",
        default=_DEFAULTS.max_lag,
        help=f"events a group may lag (default {_DEFAULTS.max_lag})",
    )
    cmd.add_argument(
        "--max-pull-age",
        metavar="AGE",
        help=f"how long ago the last daily pull may have succeeded: 30h, 2d (default {human(_DEFAULTS.max_pull_age)})",
    )
    cmd.set_defaults(handler=_status)


def _thresholds(args: argparse.Namespace) -> Thresholds:
    if args.max_lag < 0:
        raise ConfigurationError(f"--max-lag must be 0 or more, not {args.max_lag}")
    age = _DEFAULTS.max_pull_age if args.max_pull_age is None else parse_age(args.max_pull_age)
    return Thresholds(max_lag=args.max_lag, max_pull_age=age)


def _status(args: argparse.Namespace) -> int:
    try:
        report = _report(args)
    except SyncError as failed:
        if not args.json:
            raise  # the boundary's one line
        print(json.dumps({"status": "error", "error": type(failed).__name__, "reason": message_of(failed)}))
        return 2 if isinstance(failed, ConfigurationError) else 1
    print(report.to_json() if args.json else render(report))
    return 1 if report.needs_attention() else 0


def _report(args: argparse.Namespace) -> StatusReport:
    thresholds = _thresholds(args)
    sides = SIDES if args.side == "both" else (args.side,)
    config = load_config()
    configure_logging(config.log_level)  # librdkafka's and the pool's lines through ours, not raw on stderr
    with reading_pool(config) as pool:
        return collect_status(config, pool, thresholds=thresholds, sides=sides)


def render(report: StatusReport) -> str:
    """The report as an operator reads it: the verdict and its reasons first, then a section a topic."""
    verdict = "NEEDS ATTENTION" if report.needs_attention() else "ok"
    head = [f"pics-sync status: {verdict}   (checked {_utc(report.checked_at)})"]
    head += [f"  ! {reason}" for reason in report.reasons()]
    sections = [_consumers(report), _members(report), _lag(report), _parked(report)]
    if report.pull_watched:
        sections.append(_pull(report))
    return "\n\n".join(["\n".join(head), *sections])


def _consumers(report: StatusReport) -> str:
    stale = report.thresholds.stale_after
    rows = [(g.group, g.side, c.member_id, c.circuit, str(c.pending), f"{human(c.age)} ago",
             "live" if c in g.live(stale) else "stopped" if c.stopped_at else "silent")
            for g in report.groups for c in g.consumers]  # fmt: skip
    header = ("group", "side", "consumer", "circuit", "pending", "last beat", "state")
    return "consumers (heartbeats)\n" + (table(header, rows) if rows else "  none reported in the last 24 h")


def _members(report: StatusReport) -> str:
    rows = [row for group in report.groups if group.error is None for row in _member_rows(group)]
    header = ("group", "state", "host", "member", "partitions")
    return "kafka group members (as the group coordinator sees them)\n" + table(header, rows)


def _member_rows(group: GroupStatus) -> list[tuple[str, ...]]:
    state = f"{group.state} ({group.assigned} of {len(group.partitions)} assigned)"
    if not group.members:
        return [(group.group, state, "-", "-", "-")]
    return [(group.group, state, m.host, m.member_id, _partitions(m.partitions)) for m in group.members]


def _partitions(owned: Sequence[tuple[str, int]]) -> str:
    """``t.pics.learner[0,1,2] t.pics.officer[0]``."""
    topics: dict[str, list[str]] = {}
    for name, partition in owned:
        topics.setdefault(name, []).append(str(partition))
    return " ".join(f"{name}[{','.join(numbers)}]" for name, numbers in topics.items()) or "-"


def _lag(report: StatusReport) -> str:
    rows = [row for group in report.groups for row in _lag_rows(group)]
    header = ("group", "topic", "partition", "committed", "end", "lag")
    return f"lag (attention over {report.thresholds.max_lag} a group)\n" + table(header, rows)


def _lag_rows(group: GroupStatus) -> list[tuple[str, ...]]:
    if group.error is not None:
        return [(group.group, "(unreadable)", "", "", "", group.error)]
    if not group.partitions:
        return [(group.group, "(none of its topics exists yet)", "", "", "", "0")]
    rows = [(group.group, p.topic, str(p.partition), "-" if p.committed is None else str(p.committed), str(p.end),
             str(p.lag)) for p in group.partitions]  # fmt: skip
    return [*rows, (group.group, "total", "", "", "", str(group.lag))]


def _parked(report: StatusReport) -> str:
    if not report.parked:
        return "parked events: none"
    rows = [(str(p.count), _utc(p.oldest), p.reason) for p in report.parked]
    return f"parked events by reason ({report.parked_total} in all)\n" + table(("count", "oldest", "reason"), rows)


def _pull(report: StatusReport) -> str:
    last, success = report.last_pull, report.last_pull_success
    lines = ["daily pull", f"  last run      {_run(last)}"]
    if last is not None:
        figures = f"eligible {last.learners_eligible}, read {last.learners_read}, events {last.events}"
        lines.append(f"                {figures}, SA calls {last.sa_calls}, sessions unmapped {last.sessions_unmapped}")
        if last.items_dropped:
            lines.append(f"                items dropped {last.items_dropped} (P14: unreadable in SA, see the log)")
    if success is not last:
        lines.append(f"  last success  {_run(success)}")
    return "\n".join(lines)


def _run(run: PullRun | None) -> str:
    if run is None:
        return "none recent"
    finished = "" if run.finished_at is None else f", finished {_utc(run.finished_at)}"
    return f"run {run.id} for {run.run_date}: {run.status}, started {_utc(run.started_at)}{finished}"


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
