"""Compare mode reads the SA records a plan compares with at once (R1's refresh: its latency is someone's wait),
and that changes nothing else: the same differences, writes and SA calls as reading them in turn."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from sync_core.execute.executor import execute
from sync_core.smart_assessor.at_once import AtOnce
from tests.overlap import Overlap
from tests.unit.sync_core.execute.test_compare_mode import ALL, refresh, uploaded

READS = ("get_learner", "get_employer", "get_assessor", "list_enrolments")


@pytest.fixture
def at_once() -> Iterator[AtOnce]:
    threads = AtOnce(threads=8)
    yield threads
    threads.close()


def test_r1_a_refresh_reads_the_learner_its_enrolments_employer_and_assessors_at_once(at_once: AtOnce) -> None:
    world = uploaded()
    overlap = Overlap(wanted=5)  # the learner, its enrolments, the employer, the Main Officer and the IQA
    for name in READS:
        setattr(world.sa, name, overlap.wrap(getattr(world.sa, name)))
    execute(refresh(world, ALL), replace(world.ports(), at_once=at_once), compare=True)
    assert overlap.most == 5


def test_r1_reading_at_once_finds_and_does_what_reading_in_turn_does(at_once: AtOnce) -> None:
    effects = []
    for ports_of in (lambda w: w.ports(), lambda w: replace(w.ports(), at_once=at_once)):
        world = uploaded()
        world.sa.learners[world.sa_id("learner", "L1")]["email"] = "edited.in.sa@example.org"  # one difference
        world.sa.calls.clear()
        done = execute(refresh(world, ALL), ports_of(world), compare=True)
        effects.append((done.differences, done.calls, done.sa_calls, sorted(world.sa.calls)))
    assert effects[0] == effects[1]
    assert effects[0][0]  # the difference was found, both ways


def test_d7_a_record_sa_no_longer_holds_is_read_once_though_read_ahead(at_once: AtOnce) -> None:
    """D7: the employer deleted in SA answers not found to the read ahead; its step takes that answer (it is
    looked for again and made anew) instead of reading it a second time."""
    world = uploaded()
    employer = world.sa_id("employer", "ORG1")
    del world.sa.employers[employer]
    world.sa.calls.clear()
    execute(refresh(world, ALL), replace(world.ports(), at_once=at_once), compare=True)
    assert world.sa.calls.count(("get employer", employer)) == 1


def test_reads_asked_of_a_closed_at_once_are_made_in_turn() -> None:
    """A service that is stopping has closed its threads: a refresh still in hand reads in turn."""
    at_once = AtOnce(threads=2)
    at_once.close()
    answers = at_once.started({"a": lambda: 1, "b": lambda: 2})
    assert {name: answer() for name, answer in answers.items()} == {"a": 1, "b": 2}
