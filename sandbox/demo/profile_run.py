"""One profile of the demo, start to end: enrol, change, consume; check SA; SA's night; the daily run; check
PICS and the run's drift report.

Phase 1 uploads the learners meant to be uploaded at the start (LearnerEnrolled). Phase 2 streams the
rich world's mix of every PICS event, a share of them delivered twice; for a ``quiet`` profile S1 is
off for its middle third, and what was changed then is changed again once S1 is back on. SA is then
compared with the oracle's model of it (``model``, ``sync_check``), and every event's outcome with its
fate (``accounting``). Overnight SA's users work (``sa_side``), and in a hand-edits profile edit what
PICS owns (``hand_edits``); the daily pull brings SA's work back and PICS is compared with SA
(``pull_check``, ``pull_records``); the run's reconcile requests are consumed and its drift report is
checked against what the demo did (``drift_run``).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from pydantic import SecretStr

from consumers.kafka.clients import ensure_topics
from consumers.ops.daily_pull import PullOptions, daily_pull
from consumers.service import Service, open_service
from sandbox.demo import oracle_tables as t
from sandbox.demo.accounting import Accounts, account, cases
from sandbox.demo.drift_check import Drift
from sandbox.demo.drift_run import DailyRun, reconcile_phase
from sandbox.demo.hand_edits import edit_by_hand
from sandbox.demo.model import SaModel, fold_all
from sandbox.demo.pics_rows import PicsRows, read_rows
from sandbox.demo.profiles import Profile
from sandbox.demo.progress import Progress
from sandbox.demo.pull_check import Pull, PullCheck, check_learners
from sandbox.demo.pull_records import check_records
from sandbox.demo.sa_side import Night, overnight
from sandbox.demo.sending import DemoSize, JournalTally, Sender, consume
from sandbox.demo.sync_check import SyncCheck, check_sync
from sandbox.pics.changes import made_again, next_change
from sandbox.pics.people import People
from sandbox.pics.store import PicsStore
from sandbox.pics.world import Emitted, World
from sandbox.stack.postgres import fresh_database
from sync_core.config import RuntimeConfig, group_id, kafka_settings, topic_layout
from sync_core.outcome import Kind, Tally
from sync_core.pics.qualification_links import QualificationLinks
from sync_core.pipeline.routes import PULL_TOPICS, PUSH_TOPICS
from sync_core.state.settings_repo import SettingsRepository

EXAMPLES = 20


@dataclass
class Pushed:
    """What the push half of a profile left: the world, the oracle's model, the outcome accounts and SA's
    comparison."""

    world: World
    model: SaModel
    accounts: Accounts
    check: SyncCheck
    tally: Tally
    cases: dict[str, int]
    pulls: Tally  # the PICS updaters' outcomes meanwhile: a refresh's pull (R1 v2)


def run_profile(
    base: RuntimeConfig,
    profile: Profile,
    size: DemoSize,
    night: Night | None,
    *,
    own_database: bool,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The profile on its own topics, group, record prefix and (``own_database``) database: its figures."""
    run_id = uuid.uuid4().hex[:8]
    url = base.database_url.get_secret_value()
    config = base.model_copy(update={
        "database_url": SecretStr(fresh_database(url, prefix="demo") if own_database else url),
        "topic_prefix": f"demo-{run_id}.", "kafka_group_id": f"demo-{run_id}",
        "settings_ttl_s": 0.0,  # S1 switched between drains takes effect at once
    })  # fmt: skip
    progress = progress or Progress(out=None)
    progress.profile(profile.name, config)
    topics = [config.topic_prefix + topic for topic in (*PUSH_TOPICS, *PULL_TOPICS)]
    ensure_topics(kafka_settings(config), topics, replace(topic_layout(config), partitions=6))
    started, prefix = time.monotonic(), f"D{run_id}-"
    with open_service(config) as service:
        pushed = push_phase(service, profile, size, prefix, progress)
        pulled = pull_phase(service, profile, size, prefix, pushed, night, progress)
    return figures(pushed, pulled, time.monotonic() - started)


def push_phase(service: Service, profile: Profile, size: DemoSize, prefix: str, progress: Progress) -> Pushed:
    """Upload, stream the changes, and compare SA with the oracle's model."""
    settings = SettingsRepository(service.pool)
    settings.set_many(profile.settings)
    settings.set_review_types(profile.review_types)
    catalogue = service.sa.list_courses()
    QualificationLinks(service.pool).refresh(catalogue)  # "Refresh Qualification Links"
    world = World(People(size.seed + profile.seed_offset), prefix, rich=True)
    world.populate(size.learners, [str(course["qanCode"]) for course in catalogue])
    store = PicsStore(service.pool)
    store.save_all(world)
    sender = Sender(service, world.people, size.duplicate_share)
    tally, pulls = JournalTally(journal=sender.journal), Tally()
    sender.send_all(world.enrolments())
    progress.phase("enrolments", "sent", learners_in_pics=len(world.learners), events=sender.sent)
    drain(service, tally, pulls)
    progress.pushed(tally)
    world.adopt_ids(*store.written_back(prefix))
    stream = _Stream(service, world, store, sender, tally, pulls, progress)
    if profile.quiet:
        stream.quietly(size.events, settings)
    else:
        stream.send([next_change(world) for _ in range(size.events)])
    model = fold_all(profile.oracle, {str(c["qanCode"]): int(c["id"]) for c in catalogue}, sender.journal.sent)
    check = check_sync(service.pool, service.sa, model, prefix)
    progress.phase("checks", "SA against the oracle", sa_learners=check.learners_total,
                   matching_pics=check.learners_matching, field_mismatches=check.field_mismatches,
                   duplicate_records=check.duplicate_records)  # fmt: skip
    met = cases(sender.journal, model, date.today())
    return Pushed(world, model, account(sender.journal, model.fates), check, tally, met, pulls)


def drain(service: Service, tally: Tally, pulls: Tally) -> None:
    """The push consumer until drained, then the PICS updaters: what a refresh pulls (R1 v2) lands in PICS
    while it is new, as with the pull consumer running beside the push one, not after the next night's."""
    consume(service, tally)
    consume(service, pulls, PULL_TOPICS, group_id(service.config, "pull"))


@dataclass
class _Stream:
    service: Service
    world: World
    store: PicsStore
    sender: Sender
    tally: Tally
    pulls: Tally
    progress: Progress

    def send(self, changes: list[Emitted], *, integration_on: bool = True) -> list[Emitted]:
        """PICS's tables hold the truth after all of them; then send, and consume until drained."""
        self.store.save_all(self.world)
        self.sender.send_all(changes, integration_on=integration_on)
        self.progress.phase("changes", "sent", changes=len(changes), deliveries_in_all=self.sender.sent)
        drain(self.service, self.tally, self.pulls)
        self.progress.pushed(self.tally)
        return changes

    def quietly(self, events: int, settings: SettingsRepository) -> None:
        """A third with S1 on, a third with it off, then what changed while off changed again and the rest."""
        world, third = self.world, events // 3
        self.send([next_change(world) for _ in range(third)])
        settings.set_many({"Integration Enabled": "off"})
        world.integration_on = False
        while_off = self.send([next_change(world) for _ in range(third)], integration_on=False)
        settings.set_many({"Integration Enabled": "on"})
        world.integration_on = True
        self.send(made_again(world, while_off) + [next_change(world) for _ in range(events - 2 * third)])


def pull_phase(
    service: Service,
    profile: Profile,
    size: DemoSize,
    prefix: str,
    pushed: Pushed,
    night: Night | None,
    progress: Progress,
) -> dict[str, Any]:
    """SA's users work overnight (in a hand-edits profile, on what PICS owns too); the daily run pulls and
    compares; PICS is checked against SA, then the run's drift report against what the demo did."""
    run_date = date.today()
    rows = read_rows(service.pool, prefix)
    in_sa = {i: r["smart_assessor_id"] for i, r in rows.learners.items() if r["smart_assessor_id"]}
    learning = {  # eligible and in learning: the pull reads their sessions with an assessor added by hand
        i: sa_id
        for i, sa_id in in_sa.items()
        if t.eligible(rows.learners[i], run_date) and rows.learners[i]["programme_status"] == t.IN_LEARNING
    }
    sa_night = overnight(service.sa, pushed.world, learning, in_sa, size.seed, night, blanks=profile.sa_blanks)
    edits = by_hand(profile, night, pushed.model, rows, prefix, run_date)
    before = read_rows(service.pool, prefix)
    progress.phase("pull", "SA's users worked overnight", learners_in_sa=len(in_sa), hand_edits=len(edits))
    run = daily_pull(service, PullOptions(run_date=run_date, rate_per_s=1000, concurrency=16, progress=False))
    tally = Tally()
    consume(service, tally, PULL_TOPICS, group_id(service.config, "pull"))
    progress.phase("pull", "daily run", learners_eligible=int(run.get("learners_eligible") or 0),
                   learners_read=int(run.get("learners_read") or 0), events=int(run.get("events") or 0),
                   pics_rows_changed=tally.pics_rows_changed)  # fmt: skip
    check, pull = PullCheck(), Pull(service.sa, profile.oracle, before, read_rows(service.pool, prefix), run_date)
    check_learners(check, pull)
    check_records(check, pull)
    progress.phase("checks", "PICS against SA", pics_fields=check.checked, mismatches=check.mismatches)
    daily = DailyRun(int(run["id"]), run_date, before, edits, check.pulled)
    drift = reconcile_phase(service, pushed.model, pushed.world, prefix, daily)
    progress.phase("checks", "the run's drift report", found=drift["drift_found"], repaired=drift["drift_repaired"],
                   expected=drift["drift_expected"])  # fmt: skip
    return {
        "pull_learners_eligible": run.get("learners_eligible"),
        "pull_learners_eligible_expected": check.eligible,
        "pull_learners_read": run.get("learners_read"),
        "pull_events": run.get("events"),
        "pull_events_parked": tally.count(Kind.PARKED) + pushed.pulls.count(Kind.PARKED),  # the refreshes' too
        "pics_rows_changed": tally.pics_rows_changed,
        "pics_mismatches": check.mismatches,
        "pics_checked": check.checked,
        "pics_mismatch_examples": check.examples,
        "sa_overnight": sa_night,
        "reconcile_requested": run.get("reconcile_requested"),
        **drift,
    }


def by_hand(
    profile: Profile, night: Night | None, model: SaModel, rows: PicsRows, prefix: str, run_date: date
) -> list[Drift]:
    """A hand-edits profile's edits in SA's own screens, before the daily run (none in another profile)."""
    if not profile.hand_edits:
        return []
    if night is None:
        raise RuntimeError("the hand-edits profile edits SA in its own screens: it needs the demo's own sandbox")
    return edit_by_hand(night, profile.oracle, model, rows, prefix, run_date)


def figures(pushed: Pushed, pulled: dict[str, Any], seconds: float) -> dict[str, Any]:
    """One profile's figures, as the README and CI read them."""
    check, tally = pushed.check, pushed.tally
    examples = [*check.examples, *pushed.accounts.examples, *pulled.pop("pics_mismatch_examples"),
                *pulled.pop("drift_examples")]  # fmt: skip
    return {
        **pushed.accounts.figures(),
        "pics_learners": len(pushed.world.learners),
        "sa_learners_total": check.learners_total,
        "sa_learners_matching_pics": check.learners_matching,
        "sa_duplicate_records": check.duplicate_records,
        "field_mismatches": check.field_mismatches,
        "fields_checked": check.fields_checked,
        "mismatch_examples": examples[:EXAMPLES],
        "cases": pushed.cases,
        "sa_calls": {"total": tally.sa_calls, **dict(sorted(tally.writes.items()))},
        **pulled,
        "seconds": round(seconds, 2),
    }
