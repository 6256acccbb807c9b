"""README's recipe "SA was restored from a backup taken at time T" end to end (D7, U10, D6): the real
broker, PostgreSQL and the SA sandbox over HTTP; the other recipes are in
``test_recovery_recipes_kafka_postgres``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from consumers.producer import EventProducer
from consumers.service import Service
from sandbox.sa.process import SaSandboxProcess
from sync_core.config import RuntimeConfig
from sync_core.outcome import Kind, Tally
from sync_core.serde import new_event
from tests.learners import edited_in_pics, send
from tests.recovery import (
    RESTORED,
    Cli,
    Row,
    command,
    enrol,
    in_step,
    last_seq,
    now,
    one,
    replayed,
    sa_writes,
)

pytestmark = pytest.mark.integration
__all__ = ["command"]  # the fixture, used by name

# --- SA was restored from a backup taken at time T (D7) ---


def restored_sa(
    service: Service, producer: EventProducer, drain: Callable[[], Tally], sa: SaSandboxProcess, *idents: str
) -> str:
    """A backup of an empty SA, taken at T; then the learners uploaded one after the other, in this order, with
    their employers, assessors and courses, the first one's organisation, the second one's officer and the
    third learner edited (PICS's tables first, then its event, carrying the Additional ID PICS holds); then SA
    restored from the backup: it holds none of it, while PICS's ids and our links still name it. T."""
    backup, t = sa.snapshot(), now()
    learners: dict[str, Row] = {}
    for seed, ident in enumerate(idents, 330):
        learners |= enrol(service, producer, drain, seed, ident)
    org = one(service, "organisation", "id", f"ORG-{idents[0]}")
    with service.pool.connection() as conn:
        conn.execute("UPDATE pics.organisation SET name = 'Renamed Since Ltd' WHERE id = %s", (org["id"],))
        conn.execute("UPDATE pics.officer SET surname = 'Moved' WHERE id = %s", (f"OFF-{idents[1]}",))
    renamed = {k: v for k, v in org.items() if k != "id"} | {"organisation_id": org["id"], "name": "Renamed Since Ltd"}
    producer.send("pics.organisation", org["id"], new_event("OrganisationEdited", {"organisation": renamed}))
    main = one(service, "officer", "id", f"OFF-{idents[1]}")
    moved = {k: v for k, v in main.items() if k != "id"} | {"officer_id": main["id"]}
    producer.send("pics.officer", main["id"], new_event("OfficerEdited", {"officer": moved}))
    send(producer, idents[2], [edited_in_pics(service, learners[idents[2]], email="edited.since@example.org")])
    assert drain().count(Kind.APPLIED) == 3
    in_step(service, sa, *idents)
    sa.restore(backup)
    assert (sa.learners(), sa.employers(), sa.assessors(), sa.enrolments()) == ([], [], [], [])
    return t


def forced(run: Cli, t: str, *extra: str) -> dict[str, dict[str, Any]]:
    """`replay --topic … --from T --force` of each pics.* topic in the recipe's order: topic → its summary."""
    return {topic: replayed(run, topic, "--from", t, "--force", *extra)[0] for topic in RESTORED}


def counts(sa: SaSandboxProcess) -> tuple[int, int, int, int]:
    return len(sa.learners()), len(sa.employers()), len(sa.assessors()), len(sa.enrolments())


def assert_rebuilt(replays: dict[str, dict[str, Any]], service: Service, sa: SaSandboxProcess, *idents: str) -> None:
    """No replay parked, and SA holds each learner's records once, equal to PICS."""
    assert {topic: summary["parked"] for topic, summary in replays.items()} == dict.fromkeys(RESTORED, 0)
    in_step(service, sa, *idents)
    assert counts(sa) == (3, 3, 3, 3)


def test_sa_restored_from_a_backup_is_rebuilt_by_forced_replays_from_t(
    config: RuntimeConfig,
    service: Service,
    producer: EventProducer,
    drain: Callable[[], Tally],
    sa: SaSandboxProcess,
    command: Callable[[RuntimeConfig], Cli],
) -> None:
    """Recipe "SA was restored from a backup taken at time T" (D7, U10, D6, U2, U3, U5, U8): SA restored to a
    backup older than three uploads (made one after the other, L-RST-3 first) and edits of an organisation, an
    officer and a learner. `replay --from T --force --dry-run` of each pics.* topic writes nothing; the same
    without --dry-run, organisations and officers first, parks nothing, and SA holds each learner, employer,
    assessor and enrolment once, the ids PICS holds name them, with PICS's latest values."""
    idents = ("L-RST-3", "L-RST-1", "L-RST-2")  # L-RST-3 on partition 2, uploaded first; replayed last
    t = restored_sa(service, producer, drain, sa, *idents)
    run = command(config)
    seq = last_seq(sa)
    dry = forced(run, t, "--dry-run")
    assert sa_writes(sa, seq) == [] and counts(sa) == (0, 0, 0, 0)
    assert (dry["pics.learner"]["applied"], dry["pics.learner"]["sa_writes"]["link or create enrolment"]) == (4, 3)
    assert_rebuilt(forced(run, t), service, sa, *idents)


def test_sa_restored_a_second_forced_replay_changes_nothing(
    config: RuntimeConfig,
    service: Service,
    producer: EventProducer,
    drain: Callable[[], Tally],
    sa: SaSandboxProcess,
    command: Callable[[RuntimeConfig], Cli],
) -> None:
    """Recipe "SA was restored from a backup taken at time T" (D7, U10, D6), run twice: with uploads replayed in
    the order made (one partition), the forced replays rebuild SA; the same replays again create nothing, park
    nothing, and leave SA equal to PICS with each record once."""
    idents = ("L-RST-1", "L-RST-2", "L-RST-5")  # one partition: replayed in the order uploaded
    t = restored_sa(service, producer, drain, sa, *idents)
    run = command(config)
    assert_rebuilt(forced(run, t), service, sa, *idents)

    seq = last_seq(sa)
    assert_rebuilt(forced(run, t), service, sa, *idents)
    assert [w for w in sa_writes(sa, seq) if w[0] == "POST"] == []
