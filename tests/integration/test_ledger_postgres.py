"""The facts admission decides on, from real PostgreSQL: one delivery's prior, and a whole poll's in one round trip."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from sandbox.stack.local import Stack
from sandbox.stack.postgres import fresh_database
from sync_core.outcome import Kind, Outcome, Source
from sync_core.pipeline.admission import NOTHING_KNOWN, Prior
from sync_core.state.database import migrate, open_pool
from sync_core.state.ledger import Ledger

TOPIC = "pics.learner"


@pytest.fixture
def ledger(stack: Stack) -> Iterator[Ledger]:
    url = fresh_database(stack.database_url)
    migrate(url)
    with open_pool(url, max_size=2) as pool:
        yield Ledger(pool)


def ids(n: int) -> list[str]:
    return [str(uuid.uuid4()) for _ in range(n)]


def test_only_events_neither_processed_nor_behind_a_parked_event_are_new(ledger: Ledger) -> None:
    """Admission and the ledger, asked for a whole poll: a processed id, or a key with a parked event on
    the topic, is not new; the same key parked on another topic does not count."""
    fresh, done, behind, elsewhere = ids(4)
    ledger.record(Source(TOPIC, 0, 1, "L-1"), Outcome(Kind.APPLIED, done, "LearnerEdited"))
    ledger.park(
        Source(TOPIC, 0, 2, "L-PARKED"),
        Outcome(Kind.PARKED, str(uuid.uuid4()), "IlrAimClosed", reason="unknown completion status 9", rule="A1"),
        value=b"x",
        headers=(),
        error_class="Park",
    )
    ledger.park(
        Source("pics.organisation", 0, 3, "L-OTHER"),
        Outcome(Kind.PARKED, str(uuid.uuid4()), "OrganisationEdited", reason="rejected"),
        value=b"x",
        headers=(),
        error_class="Park",
    )
    asked = [(fresh, TOPIC, "L-2"), (done, TOPIC, "L-1"), (behind, TOPIC, "L-PARKED"), (elsewhere, TOPIC, "L-OTHER")]
    expected = {
        fresh: Prior(None, parked_ahead=False),
        done: Prior(Kind.APPLIED, parked_ahead=False),
        behind: Prior(None, parked_ahead=True),
        elsewhere: Prior(None, parked_ahead=False),
    }
    assert ledger.priors(asked) == expected
    assert {event_id: ledger.prior(event_id, topic, key) for event_id, topic, key in asked} == expected


def test_a_parked_event_knows_its_own_row(ledger: Ledger) -> None:
    """A parked event's prior says parked, with its key waiting: live admission calls it a duplicate,
    a redrive the head of its key."""
    event_id = str(uuid.uuid4())
    ledger.park(
        Source(TOPIC, 0, 5, "L-9"),
        Outcome(Kind.PARKED, event_id, "IlrAimClosed", reason="unknown completion status 9", rule="A1"),
        value=b"x",
        headers=(),
        error_class="Park",
    )
    assert ledger.prior(event_id, TOPIC, "L-9") == Prior(Kind.PARKED, parked_ahead=True)


def test_ids_that_are_no_uuid_or_have_no_key(ledger: Ledger) -> None:
    """An id that is no UUID has no batch answer and nothing known alone; a keyless event has one."""
    keyless, upper = ids(2)
    asked = [("not-a-uuid", TOPIC, "L-1"), (keyless, TOPIC, None), (upper.upper(), TOPIC, "L-3")]
    assert set(ledger.priors(asked)) == {keyless, upper.upper()}
    assert ledger.prior("not-a-uuid", TOPIC, "L-1") == NOTHING_KNOWN
    assert ledger.priors([]) == {}


def hashes(ledger: Ledger, *resources: str) -> dict[str, str]:
    """``sync.pushed_state`` for these resources."""
    with ledger._pool.connection() as conn:
        rows = conn.execute(
            "SELECT sa_resource, hash FROM sync.pushed_state WHERE sa_resource = ANY(%s)", (list(resources),)
        )
        return dict(rows.fetchall())


def test_a_copy_that_conflicts_records_no_hashes(ledger: Ledger) -> None:
    """X1: a second copy of a recorded event (a revoked owner's retry, a copy run again) is a duplicate and
    writes none of its hashes: ``sync.pushed_state`` keeps what the key's later event pushed, so a stale SA
    value is never taken as held; a forced replay, which replaces the event's row, writes its hashes."""
    edit, later = ids(2)
    resource = "learner:g1#email"
    first = Outcome(Kind.APPLIED, edit, "LearnerEdited", pushed={resource: "hash-of-n"})
    assert ledger.record(Source(TOPIC, 0, 1, "L-1"), first)
    assert ledger.record(
        Source(TOPIC, 0, 2, "L-1"), Outcome(Kind.APPLIED, later, "LearnerEdited", pushed={resource: "hash-of-n+1"})
    )
    copy = Outcome(Kind.APPLIED, edit, "LearnerEdited", pushed={resource: "hash-of-n", "learner:g1#phone": "p"})
    assert not ledger.record(Source(TOPIC, 0, 3, "L-1"), copy)
    assert hashes(ledger, resource, "learner:g1#phone") == {resource: "hash-of-n+1"}
    # the copy taught the memo nothing either: it still has n+1, so n+1 is confirmed held (asked first: a
    # question the database answers corrects the memo)
    assert ledger.holding({resource: "hash-of-n+1"}) == {resource}
    assert ledger.holding({resource: "hash-of-n"}) == set()
    assert ledger.record(Source(TOPIC, 0, 3, "L-1"), copy, replace_existing=True)
    assert hashes(ledger, resource) == {resource: "hash-of-n"}
