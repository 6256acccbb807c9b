"""Redrives of one key, and a redrive racing the live consumer, on the real broker, PostgreSQL and SA sandbox.

Contract: a key is redriven under its advisory lock, held from the first read of its parked events to
the last, and every park of one of its events takes the same lock. So two redrives of one key at once
(a double click, the console and the CLI) run one after the other: the second waits, then finds the
key settled, and SA ends with the key's newest edit, each edit written once. A live event that
admission found behind a parked one, and that parks while or after a redrive settles the key, is never
left parked with nothing ahead of it: under the lock it finds the key settled and is processed, after
the redriven events, in order.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from typing import Any

import pytest

from consumers.ops.redrive import KeyReport, redrive
from consumers.producer import EventProducer
from consumers.service import Service
from sandbox.sa.process import SaSandboxProcess
from sync_core.outcome import Kind, Source, Tally
from sync_core.pipeline.admission import Prior
from sync_core.pipeline.process import LIVE, Delivery, RunMode, process
from sync_core.state.links import LinkRepository
from sync_core.state.parked import KeyRef
from sync_core.state.settings_repo import SettingsRepository
from tests.learners import edit, new_learner, rule_raising_for, send
from tests.support import wait_until

pytestmark = pytest.mark.integration

PUSH_SETTINGS = {
    "Integration Enabled": "on",
    "Update Learner Demographics Mode": "Push PICS Data to Smart Assessor",
}
EMAILS = ("first@example.org", "second@example.org", "third@example.org")
LATEST = "fourth@example.org"


class GatedSa:
    """The SA client, whose learner updates wait until ``may_go()`` (asked every 50 ms)."""

    def __init__(self, sa: Any, may_go: Callable[[], bool]) -> None:
        self._sa, self._may_go = sa, may_go
        self.waiting = threading.Event()  # an update has reached the gate

    def update_learner(self, sa_id: str, fields: Any) -> Any:
        self.waiting.set()
        wait_until(self._may_go, timeout=60, interval=0.05)
        return self._sa.update_learner(sa_id, fields)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sa, name)


@dataclasses.dataclass
class Parked:
    """A learner in SA whose three edits parked (a bug in its rule, since fixed), on this test's service."""

    service: Service
    ident: str
    sa_id: str
    learner: dict[str, Any]

    @property
    def ref(self) -> KeyRef:
        return KeyRef(self.service.config.topic_prefix + "pics.learner", self.ident)

    def gated(self, may_go: Callable[[], bool]) -> tuple[Service, GatedSa]:
        """The service with SA's learner updates held at a gate until ``may_go()``."""
        ports = self.service.ports
        gate = GatedSa(ports.execution.sa, may_go)
        execution = dataclasses.replace(ports.execution, sa=gate)
        return dataclasses.replace(self.service, ports=dataclasses.replace(ports, execution=execution)), gate

    def email(self) -> str:
        return str(self.service.sa.get_learner(self.sa_id)["email"])


@pytest.fixture
def parked(service: Service, producer: EventProducer, drain: Callable[[], Tally]) -> Parked:
    SettingsRepository(service.pool).set_many(PUSH_SETTINGS)
    ident = "L-LOCK-1"
    learner = new_learner(11, ident)
    created = service.sa.create_learner({"misId": ident, "firstName": learner["first_name"], "surname": "Lock"})
    LinkRepository(service.pool).link("learner", ident, created["id"])
    with rule_raising_for(service, ident):
        send(producer, ident, [edit(learner, email=email) for email in EMAILS])
        assert drain().count(Kind.PARKED) == len(EMAILS)
    return Parked(service, ident, str(created["id"]), learner)


def lock_waiters(service: Service) -> int:
    """Sessions of this test's database waiting for an advisory lock."""
    with service.pool.connection() as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ).fetchone()
    return int(row[0]) if row else 0


def parked_rows(service: Service) -> int:
    with service.pool.connection() as conn:
        row = conn.execute("SELECT count(*) FROM sync.parked_events").fetchone()
    return int(row[0]) if row else 0


def learner_patches(sa: SaSandboxProcess, sa_id: str) -> int:
    """SA's successful PATCHes of this learner."""
    log = sa.calls()["log"]
    return sum(1 for c in log if c["route"] == "/learners/{id}" and c["method"] == "PATCH" and c["resource_id"] == sa_id
               and c["status"] == 200)  # fmt: skip


def in_thread(fn: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    """``fn`` running in a thread of its own; its result lands in the list."""
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(fn()))
    thread.start()
    return thread, result


def latest_edit(parked: Parked, producer: EventProducer) -> Delivery:
    """A fourth edit of the learner, sent to the topic, as the live consumer would deliver it."""
    [data] = send(producer, parked.ident, [edit(parked.learner, email=LATEST)])
    return Delivery(Source(parked.ref.topic, 0, 1_000, parked.ident), data)


def test_two_redrives_of_one_key_at_once_keep_its_order(parked: Parked, sa: SaSandboxProcess) -> None:
    """A second redrive started while the first is mid-key waits for the key's lock, then finds it settled:
    each edit is written once, in order, and SA ends with the newest."""
    second_done = threading.Event()
    first_service, gate = parked.gated(lambda: lock_waiters(parked.service) > 0 or second_done.is_set())
    first, first_reports = in_thread(lambda: redrive(first_service, [parked.ref], RunMode()))
    assert gate.waiting.wait(30)  # the first redrive holds the key and is writing its first edit
    second, second_reports = in_thread(lambda: redrive(parked.service, [parked.ref], RunMode()))
    second.join(60)
    second_done.set()
    first.join(60)
    [mine], [theirs] = first_reports[0], second_reports[0]
    assert isinstance(mine, KeyReport) and [kind for _id, kind in mine.outcomes] == [Kind.APPLIED] * len(EMAILS)
    assert theirs.outcomes == [] and theirs.still_parked == 0
    assert parked.email() == EMAILS[-1] and parked_rows(parked.service) == 0
    assert learner_patches(sa, parked.sa_id) == len(EMAILS)


def test_an_event_found_behind_a_key_a_redrive_settled_since_is_processed_not_stranded(
    parked: Parked, producer: EventProducer
) -> None:
    """The live consumer asked about the next edit while the key was parked (so admission puts it behind),
    and parks it only after a redrive settled the whole key: it finds nothing ahead and applies."""
    latest = latest_edit(parked, producer)
    polled = dataclasses.replace(latest, prior=Prior(None, parked_ahead=True))  # the poll-time answer
    [report] = redrive(parked.service, [parked.ref], RunMode())
    assert report.still_parked == 0
    outcome = process(polled, parked.service.ports, LIVE)
    assert outcome.kind is Kind.APPLIED and parked_rows(parked.service) == 0
    assert parked.email() == LATEST


def test_a_live_event_parking_during_a_redrive_waits_for_it_and_applies_after_it(
    parked: Parked, producer: EventProducer
) -> None:
    """The next edit arrives mid-redrive: admission puts it behind the parked key, its park waits for the
    redrive's lock, then finds the key settled and applies last."""
    latest = latest_edit(parked, producer)
    live_done = threading.Event()
    service, gate = parked.gated(lambda: lock_waiters(parked.service) > 0 or live_done.is_set())
    redriving, reports = in_thread(lambda: redrive(service, [parked.ref], RunMode()))
    assert gate.waiting.wait(30)
    live, outcomes = in_thread(lambda: process(latest, parked.service.ports, LIVE))
    live.join(60)
    live_done.set()
    redriving.join(60)
    [report] = reports[0]
    assert [kind for _id, kind in report.outcomes] == [Kind.APPLIED] * len(EMAILS)
    assert outcomes[0].kind is Kind.APPLIED and parked_rows(parked.service) == 0
    assert parked.email() == LATEST
