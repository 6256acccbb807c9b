"""Where the integration stands: consumer lag, parked events, the daily pull, the live consumers and the
partitions wedged on them (a commit point that has not moved while work waits, from their heartbeats).

``collect_status`` gathers a ``StatusReport`` and prints nothing; ``StatusReport.reasons()`` holds
the attention rules, pure, so ``pics-sync status``, the web console and the unit tests judge alike.
The push side is the group ``PICS_SYNC_KAFKA_GROUP_ID`` on the ``pics.*`` topics; the pull side is
the updaters' group (``…-updaters``) on the ``sa.*`` topics, plus the daily pull that feeds them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from psycopg_pool import ConnectionPool

from consumers.kafka.groups import GroupMember, group_members, group_offsets
from sync_core.config import RuntimeConfig, group_id, kafka_settings, topic
from sync_core.errors import TransientError
from sync_core.pipeline.routes import PULL_TOPICS, PUSH_TOPICS
from sync_core.smart_assessor.circuit import State
from sync_core.state.heartbeats import Heartbeat, Heartbeats
from sync_core.state.parked import ParkedEvents
from sync_core.state.pull_runs import PullRuns

SIDES = ("push", "pull")
_SHOWN_FOR = timedelta(hours=24)  # consumers heard of within this long are listed, live or not


@dataclass(frozen=True)
class Thresholds:
    """When something needs attention."""

    max_lag: int = 1000  # unconsumed events in one group; a busy consumer runs well below it
    max_pull_age: timedelta = timedelta(hours=26)  # since the last daily pull succeeded: a day and some slack
    stale_after: timedelta = timedelta(seconds=30)  # a heartbeat this old is a dead consumer (six missed beats)
    # A partition whose commit point has not moved this long while events wait on it is wedged: an event
    # that neither finishes nor parks (PICS_SYNC_STALL_S's default: past a busy backlog's turnover).
    stuck_after: timedelta = timedelta(minutes=2)


@dataclass(frozen=True)
class PartitionLag:
    """How far one group is behind on one partition; ``committed`` None: the group never committed here."""

    topic: str
    partition: int
    committed: int | None
    end: int  # the offset the next message will get
    lag: int


@dataclass(frozen=True)
class GroupStatus:
    """One consumer group: its lag per partition, its members as Kafka sees them, the consumers' heartbeats."""

    side: str
    group: str
    partitions: tuple[PartitionLag, ...]
    consumers: tuple[Heartbeat, ...]
    error: str | None = None  # why Kafka could not be read
    state: str | None = None  # the group coordinator's word: stable, empty, preparing_rebalance, dead …
    members: tuple[GroupMember, ...] = ()

    @property
    def lag(self) -> int:
        """Unconsumed events on all the group's partitions."""
        return sum(p.lag for p in self.partitions)

    @property
    def assigned(self) -> int:
        """How many of the group's partitions a member owns."""
        return len({tp for m in self.members for tp in m.partitions})

    def live(self, stale_after: timedelta) -> list[Heartbeat]:
        """The consumers running now: not stopped, and heard of within ``stale_after``."""
        return [c for c in self.consumers if c.stopped_at is None and c.age <= stale_after]

    def stuck(self, limits: Thresholds) -> list[StuckPartition]:
        """The live consumers' partitions whose commit point has not moved for ``stuck_after`` while work waits."""
        return [
            StuckPartition(c.member_id, p.topic, p.partition, p.commit_at, p.pending, stuck_for)
            for c in self.live(limits.stale_after)
            for p in c.partitions
            if p.pending and (stuck_for := timedelta(seconds=p.stuck_s) + c.age) >= limits.stuck_after
        ]


@dataclass(frozen=True)
class StuckPartition:
    """A partition whose commit point has not moved for ``stuck_for`` while ``pending`` events wait on it."""

    member_id: str
    topic: str
    partition: int
    commit_at: int | None
    pending: int
    stuck_for: timedelta

    def __str__(self) -> str:
        return (f"partition {self.topic}[{self.partition}] on {self.member_id}: committed offset {self.commit_at}"
                f" has not moved for {human(self.stuck_for)} while {self.pending} event(s) are pending")  # fmt: skip


@dataclass(frozen=True)
class ParkedReason:
    """Parked events that share a reason."""

    reason: str
    count: int
    oldest: datetime


@dataclass(frozen=True)
class PullRun:
    """A daily pull run and its figures (a row of ``sync.pull_runs``)."""

    id: int
    run_date: date
    status: str  # running, succeeded or failed
    started_at: datetime
    finished_at: datetime | None
    learners_eligible: int
    learners_read: int
    events: int
    sa_calls: int
    sessions_unmapped: int
    items_dropped: int = 0  # P14: SA items that could not be read, each dropped alone

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> PullRun:
        """The run from its database row."""
        return cls(**{name: row[name] for name in cls.__dataclass_fields__ if name in row})


@dataclass(frozen=True)
class StatusReport:
    """Everything ``pics-sync status`` shows; ``reasons()`` says what needs attention."""

    checked_at: datetime
    groups: tuple[GroupStatus, ...]
    parked: tuple[ParkedReason, ...] = ()
    pull_watched: bool = True  # the pull side is checked: the daily pull must succeed on time
    last_pull: PullRun | None = None  # the newest daily run, whatever its status
    last_pull_success: PullRun | None = None
    thresholds: Thresholds = field(default_factory=Thresholds)

    @property
    def parked_total(self) -> int:
        """Events parked on the watched sides' topics."""
        return sum(p.count for p in self.parked)

    def reasons(self) -> list[str]:
        """What needs an operator's attention, one line each; empty when all is well."""
        found = [f"{self.parked_total} parked event(s): see `pics-sync dlq list`"] if self.parked_total else []
        for group in self.groups:
            found += _group_reasons(group, self.thresholds)
        return found + (_pull_reasons(self) if self.pull_watched else [])

    def needs_attention(self) -> bool:
        """True when ``reasons()`` has anything."""
        return bool(self.reasons())

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready values."""
        return {"status": "attention" if self.needs_attention() else "ok", "reasons": self.reasons(),
                "checked_at": self.checked_at.isoformat(), "thresholds": _thresholds(self.thresholds),
                "groups": [_group(g, self.thresholds) for g in self.groups],
                "parked": {"total": self.parked_total, "by_reason": [_jsonable(p.__dict__) for p in self.parked]},
                "pull": {"watched": self.pull_watched, "last_run": _run(self.last_pull),
                         "last_success": _run(self.last_pull_success)}}  # fmt: skip

    def to_json(self) -> str:
        """The report as one line of JSON."""
        return json.dumps(self.as_dict())


# --- The attention rules ---


def _group_reasons(group: GroupStatus, limits: Thresholds) -> list[str]:
    found: list[str] = []
    if group.error is not None:
        found.append(f"group {group.group}: Kafka unreadable ({group.error.removeprefix('Kafka: ')})")
    elif group.lag > limits.max_lag:
        found.append(f"group {group.group} lags {group.lag} events (over {limits.max_lag})")
    live = group.live(limits.stale_after)
    if not live:
        found.append(f"no live consumer in group {group.group} (none reported in {human(limits.stale_after)})")
    found += [
        f"circuit open on {c.member_id} (group {group.group}): SA is failing" for c in live if c.circuit == State.OPEN
    ]
    return found + [f"{stuck} (group {group.group})" for stuck in group.stuck(limits)]


def _pull_reasons(report: StatusReport) -> list[str]:
    last, success, limit = report.last_pull, report.last_pull_success, report.thresholds.max_pull_age
    found: list[str] = []
    if last is not None and last.status == "failed":
        found.append(f"the last daily pull (run {last.id} for {last.run_date}) failed")
    if success is None or success.finished_at is None:
        return [*found, f"no daily pull has succeeded in the last {human(limit)}"]
    age = report.checked_at - success.finished_at
    if age > limit:
        found.append(f"the last daily pull that succeeded finished {human(age)} ago (over {human(limit)})")
    return found


def human(span: timedelta) -> str:
    """A duration as an operator reads it: 45 s, 12 min, 26 h, 3 d."""
    seconds = int(span.total_seconds())
    for unit, size, up_to in (("s", 1, 120), ("min", 60, 120 * 60), ("h", 3600, 72 * 3600)):
        if seconds < up_to:
            return f"{seconds // size} {unit}"
    return f"{seconds // 86400} d"


# --- Gathering ---


def group_of(config: RuntimeConfig, side: str) -> tuple[str, list[str]]:
    """The consumer group of a side and its physical topics (as ``pics-sync run --side`` uses them)."""
    logical = PUSH_TOPICS if side == "push" else PULL_TOPICS
    return group_id(config, side), [topic(config, t) for t in logical]


def collect_status(
    config: RuntimeConfig, pool: ConnectionPool, *, thresholds: Thresholds | None = None, sides: Sequence[str] = SIDES
) -> StatusReport:
    """Read the lag from Kafka and the rest from the sync-state database; prints nothing."""
    thresholds = thresholds or Thresholds()
    now = datetime.now(UTC)
    watched = {side: group_of(config, side) for side in sides}
    beats = Heartbeats(pool).of_groups([group for group, _topics in watched.values()], _SHOWN_FOR)
    groups = tuple(
        _group_status(config, side, group, topics, [b for b in beats if b.group_id == group])
        for side, (group, topics) in watched.items()
    )
    parked = parked_by_reason(ParkedEvents(pool), [t for _group, topics in watched.values() for t in topics])
    last, success = daily_runs(PullRuns(pool), now.date(), thresholds.max_pull_age) if "pull" in sides else (None, None)
    return StatusReport(now, groups, parked, "pull" in sides, last, success, thresholds)


def _group_status(
    config: RuntimeConfig, side: str, group: str, topics: list[str], beats: list[Heartbeat]
) -> GroupStatus:
    try:
        offsets = group_offsets(kafka_settings(config), group, topics)
        state, members = group_members(kafka_settings(config), group)
    except TransientError as unreadable:
        return GroupStatus(side, group, (), tuple(beats), error=str(unreadable))
    lags = [partition_lag(t, p, committed, low, high) for (t, p), (committed, (low, high)) in sorted(offsets.items())]
    return GroupStatus(side, group, tuple(lags), tuple(beats), None, state, tuple(members))


def partition_lag(topic: str, partition: int, committed: int, low: int, high: int) -> PartitionLag:
    """A group with no commit on a partition starts at its first offset (auto.offset.reset=earliest)."""
    start = committed if committed >= 0 else low
    return PartitionLag(topic, partition, committed if committed >= 0 else None, high, max(0, high - start))


def parked_by_reason(parked: ParkedEvents, topics: Iterable[str]) -> tuple[ParkedReason, ...]:
    """The parked events on ``topics``, counted by reason with the oldest, the most common first."""
    return tuple(ParkedReason(reason, count, oldest) for reason, count, oldest in parked.by_reason(list(topics)))


def daily_runs(runs: PullRuns, today: date, window: timedelta) -> tuple[PullRun | None, PullRun | None]:
    """(the newest daily run, the newest that succeeded) among those dated in ``window`` before ``today``.

    A run's date is PICS's day (``sync_core.clock``), or what ``--date`` named: within a day of UTC's. The
    dates looked at reach a day either side, so ``today`` may be UTC's or the host's as well as PICS's.
    """
    dates = [today + timedelta(days=1 - n) for n in range(window.days + 3)]
    rows = [row for d in dates for row in (runs.succeeded(d), runs.unfinished(d)) if row is not None]
    found = [PullRun.from_row(row) for row in rows]
    succeeded = [r for r in found if r.status == "succeeded"]
    last = max(found, key=lambda r: r.started_at, default=None)
    return last, max(succeeded, key=lambda r: r.started_at, default=None)


# --- JSON ---


def _thresholds(limits: Thresholds) -> dict[str, Any]:
    return {"max_lag": limits.max_lag, "max_pull_age_s": limits.max_pull_age.total_seconds(),
            "stale_after_s": limits.stale_after.total_seconds(),
            "stuck_after_s": limits.stuck_after.total_seconds()}  # fmt: skip


def _group(group: GroupStatus, limits: Thresholds) -> dict[str, Any]:
    live = {c.member_id for c in group.live(limits.stale_after)}
    return {"side": group.side, "group": group.group, "lag": group.lag, "error": group.error, "state": group.state,
            "partitions": [p.__dict__ for p in group.partitions],
            "members": [{**m._asdict(), "partitions": [f"{t}/{p}" for t, p in m.partitions]} for m in group.members],
            "consumers": [_consumer(c, c.member_id in live) for c in group.consumers],
            "stuck": [{**_jsonable(s.__dict__), "stuck_for_s": round(s.stuck_for.total_seconds(), 1)}
                      for s in group.stuck(limits)]}  # fmt: skip


def _consumer(beat: Heartbeat, live: bool) -> dict[str, Any]:
    shown = {name: value for name, value in beat.__dict__.items() if name not in ("group_id", "age", "partitions")}
    shown["partitions"] = [p.__dict__ for p in beat.partitions]
    return _jsonable({**shown, "live": live, "last_beat_s": round(beat.age.total_seconds(), 1)})


def _run(run: PullRun | None) -> dict[str, Any] | None:
    return None if run is None else _jsonable(run.__dict__)


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {name: value.isoformat() if isinstance(value, date) else value
            for name, value in values.items() if not isinstance(value, timedelta)}  # fmt: skip
