"""Scenario: a partition moves to a new member of the group while SA answers 503 to every call (a rolling deploy
on a bad day).

Contract: a member holding a learner's partition keeps retrying its edit N while SA is down. A second member
joins and the partition moves to it. The old owner lets in-flight work finish for its grace, then fences the
partition's generation: its retries end abandoned, neither recorded nor committed, and its revoke returns only
once its workers have handed that work back. From then on it makes no SA write for the partition. The new owner
gets N again from the last commit, then N+1, and once SA is back applies them in order: SA ends with the
newest edit, each written once, and the sandbox's call log has no late write of N after it.

A member paused (too much work pending while SA is down) whose partition leaves and later comes back reads
it again: the pause it had when the partition left does not outlive the revoke.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from consumers.kafka.clients import ensure_topics, make_consumer
from consumers.kafka.consumer import Partition
from consumers.loop import ParallelLoop
from consumers.producer import EventProducer
from consumers.service import Service, open_service
from sandbox.sa.process import SaSandboxProcess
from sync_core.config import RuntimeConfig, TopicLayout, kafka_settings
from sync_core.outcome import Kind, Tally
from sync_core.pipeline.policy import Policy
from sync_core.state.links import LinkRepository
from sync_core.state.settings_repo import SettingsRepository
from tests.learners import edit, new_learner, send
from tests.support import wait_until

pytestmark = pytest.mark.integration

TOPIC = "pics.learner"
IDENTS = [f"L-REV-{n}" for n in range(1, 7)]  # their keys fall on both partitions
PUSH_SETTINGS = {"Integration Enabled": "on", "Update Learner Demographics Mode": "Push PICS Data to Smart Assessor"}
# Both members back off at most half a second, so the old owner, were it still retrying, would try again
# many times while the new owner makes its first few tries.
QUICK = Policy(wait_max_s=0.5)
WRITES = ("update_learner", "create_learner", "enrol", "update_enrolment")


class Journal:
    """What both members did, in the order they did it: each SA write tried, and the old owner's revoke."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, str, str]] = []  # (member, what, SA id or partition); appends are atomic
        self.revoked: list[Partition] = []
        self.revoked_at_seq = 0  # the sandbox's last call when the old owner's revoke returned

    def writes(self, member: str, *, after: int = 0) -> list[str]:
        """The SA ids of ``member``'s writes tried after entry number ``after``."""
        return [target for who, what, target in self.entries[after:] if who == member and what == "write"]

    def revoke_returned(self) -> int | None:
        """The entry number of the old owner's revoke, once it has returned."""
        return next((n for n, (_who, what, _t) in enumerate(self.entries) if what == "revoked"), None)


class RecordingSa:
    """An SA client that notes each write it is asked to make in the journal, then makes it."""

    def __init__(self, sa: Any, journal: Journal, member: str) -> None:
        self._sa, self._journal, self._member = sa, journal, member

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._sa, name)
        if name not in WRITES:
            return method

        def write(target: Any, *args: Any) -> Any:
            self._journal.entries.append((self._member, "write", str(target)))
            return method(target, *args)

        return write


@dataclasses.dataclass
class OldOwner(ParallelLoop):
    """The first member: notes in the journal when its revoke returns, and SA's last call at that moment."""

    journal: Journal | None = None
    sandbox: SaSandboxProcess | None = None

    def _on_revoke(self, revoked: list[Partition]) -> None:
        super()._on_revoke(revoked)
        if revoked and not self._stop.is_set() and self.journal is not None and self.sandbox is not None:
            self.journal.revoked.extend(revoked)
            self.journal.revoked_at_seq = max((c["seq"] for c in self.sandbox.calls()["log"]), default=0)
            self.journal.entries.append(("old", "revoked", str(revoked)))


@dataclasses.dataclass
class Member:
    """A loop of the group, running in a thread of its own on a service of its own."""

    loop: ParallelLoop
    service: Service
    thread: threading.Thread
    stop: threading.Event
    tally: list[Tally]

    def end(self) -> None:
        """Stop the loop (it commits what is done) and close its service."""
        if self.thread.is_alive():
            self.stop.set()
            self.thread.join(60)
        self.service.close()


@pytest.fixture
def two_partitions(config: RuntimeConfig) -> RuntimeConfig:
    """This test's configuration on a learner topic of its own with two partitions."""
    two = config.model_copy(update={"topic_prefix": f"{config.topic_prefix}p2."})
    ensure_topics(kafka_settings(two), [two.topic_prefix + TOPIC], TopicLayout(partitions=2))
    return two


@pytest.fixture
def members(two_partitions: RuntimeConfig) -> Iterator[Callable[..., Member]]:
    """Starts members of the test's group on the learner topic; ends them all afterwards."""
    started: list[Member] = []

    def start(book: Journal, name: str, loop_class: type[ParallelLoop] = ParallelLoop, **fields: Any) -> Member:
        service = open_service(two_partitions)
        execution = dataclasses.replace(service.ports.execution, sa=RecordingSa(service.sa, book, name))
        ports = dataclasses.replace(service.ports, execution=execution)
        consumer = make_consumer(kafka_settings(two_partitions), two_partitions.kafka_group_id)
        loop = loop_class(consumer, ports, concurrency=8, retry_policy=QUICK, **fields)
        loop.subscribe([two_partitions.topic_prefix + TOPIC])
        stop, tally = threading.Event(), []

        def run() -> None:
            try:
                tally.append(loop.run(stop))
            finally:
                consumer.close()

        member = Member(loop, service, threading.Thread(target=run, name=f"member-{name}"), stop, tally)
        member.thread.start()
        started.append(member)
        return member

    yield start
    for member in reversed(started):
        member.end()


def learners_in_sa(service: Service) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """The test's learners (by ident), each created in SA and linked as the consumer would have linked it;
    their SA ids."""
    learners, sa_ids = {}, {}
    for n, ident in enumerate(IDENTS):
        learner = new_learner(40 + n, ident)
        created = service.sa.create_learner({"misId": ident, "firstName": learner["first_name"], "surname": "Rev"})
        LinkRepository(service.pool).link("learner", ident, created["id"])
        learners[ident], sa_ids[ident] = learner, str(created["id"])
    return learners, sa_ids


def applied_edits(service: Service) -> int:
    with service.pool.connection() as conn:
        row = conn.execute("SELECT count(*) FROM sync.processed_events WHERE outcome = 'applied'").fetchone()
    return int(row[0]) if row else 0


def partitions_of(service: Service) -> dict[str, int]:
    """Each learner's partition, as the ledger recorded its edits."""
    with service.pool.connection() as conn:
        return dict(conn.execute("SELECT DISTINCT key, partition FROM sync.processed_events").fetchall())


def test_the_old_owner_writes_nothing_after_its_revoke_and_sa_ends_with_the_newest_edit(
    service: Service, two_partitions: RuntimeConfig, sa: SaSandboxProcess, members: Callable[..., Member]
) -> None:
    """SA down, a partition moves: the old owner makes no SA write for it after its revoke returned, and the
    new owner writes N then N+1 once each, so every learner ends with its newest email."""
    SettingsRepository(service.pool).set_many(PUSH_SETTINGS)
    learners, sa_ids = learners_in_sa(service)
    producer = EventProducer(
        kafka_settings(two_partitions), service.ports.serde, topic_prefix=two_partitions.topic_prefix
    )
    journal = Journal()
    sa.configure(error_rate=1.0)  # every call answered 503
    old = members(journal, "old", OldOwner, revoke_grace_s=1.0, journal=journal, sandbox=sa)
    for ident, learner in learners.items():
        send(producer, ident, [edit(learner, email=f"n@{ident.lower()}.example")])
    wait_until(
        lambda: set(journal.writes("old")) == set(sa_ids.values()), timeout=60
    )  # it holds both partitions, retrying
    members(journal, "new")
    mark = wait_until(journal.revoke_returned, timeout=60)
    for ident, learner in learners.items():
        send(producer, ident, [edit(learner, email=f"n+1@{ident.lower()}.example")])
    wait_until(lambda: max(map(journal.writes("new").count, set(journal.writes("new"))), default=0) >= 6, timeout=60)
    sa.configure(error_rate=0.0)
    wait_until(lambda: applied_edits(service) == 2 * len(IDENTS), timeout=90)
    old.end()

    moved = {tp[1] for tp in journal.revoked}
    on_moved = {sa_ids[ident] for ident, p in partitions_of(service).items() if p in moved}
    assert len(moved) == 1 and 0 < len(on_moved) < len(IDENTS)  # one partition moved; learners on both
    assert [target for target in journal.writes("old", after=mark) if target in on_moved] == []
    assert {str(r["misId"]): r["email"] for r in sa.learners()} == {i: f"n+1@{i.lower()}.example" for i in IDENTS}
    late = [c for c in sa.calls(since=journal.revoked_at_seq)["log"] if c["method"] == "PATCH"]
    landed = [c["resource_id"] for c in late if c["status"] == 200 and c["resource_id"] in on_moved]
    assert sorted(landed) == sorted(list(on_moved) * 2)  # N then N+1 by the new owner, once each
    assert old.loop.tally.count(Kind.APPLIED) == 2 * (len(IDENTS) - len(on_moved))


def test_a_partition_that_left_while_paused_is_read_again_when_it_comes_back(
    service: Service, two_partitions: RuntimeConfig, sa: SaSandboxProcess, members: Callable[..., Member]
) -> None:
    """SA down, the old owner paused by its pending work; a partition moves to a second member that then
    leaves: back with the old owner, every edit on it is applied once SA is back."""
    SettingsRepository(service.pool).set_many(PUSH_SETTINGS)
    learners, _sa_ids = learners_in_sa(service)
    producer = EventProducer(
        kafka_settings(two_partitions), service.ports.serde, topic_prefix=two_partitions.topic_prefix
    )
    journal = Journal()
    sa.configure(error_rate=1.0)
    # More than one edit pending is more than it allows: it pauses both partitions, after the first poll
    # that brings two or more (it may never fetch the rest until SA is back).
    old = members(journal, "old", revoke_grace_s=0.5, max_pending=1)
    for ident, learner in learners.items():
        send(producer, ident, [edit(learner, email=f"n@{ident.lower()}.example")])
    wait_until(lambda: len(set(journal.writes("old"))) > 1, timeout=60)
    new = members(journal, "new")
    wait_until(lambda: journal.writes("new"), timeout=60)  # a partition moved to it
    new.end()  # and comes back to the old owner, which is still paused
    sa.configure(error_rate=0.0)
    for ident, learner in learners.items():
        send(producer, ident, [edit(learner, email=f"n+1@{ident.lower()}.example")])
    wait_until(lambda: applied_edits(service) == 2 * len(IDENTS), timeout=90)
    old.end()

    assert {str(r["misId"]): r["email"] for r in sa.learners()} == {i: f"n+1@{i.lower()}.example" for i in IDENTS}
