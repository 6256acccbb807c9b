"""The ledger's poll-time check on real PostgreSQL: which polled events are new, in one round trip."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from sandbox.stack.local import Stack
from sandbox.stack.postgres import fresh_database
from sync_core.outcome import Kind, Outcome, Source
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
    """X2 and the ledger, asked for a whole poll: a processed id, or a key with a parked event on
    the topic, is not new; the same key parked on another topic does not count."""
    fresh, done, behind, elsewhere = ids(4)
    ledger.record(Source(TOPIC, 0, 1, "L-1"), Outcome(Kind.APPLIED, done, "LearnerEdited"))
    ledger.park(
        Source(TOPIC, 0, 2, "L-PARKED"),
        Outcome(Kind.PARKED, str(uuid.uuid4()), "LearnerEdited", reason="not enrolled"),
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
    assert ledger.known_new(asked) == {fresh, elsewhere}


def test_ids_that_are_no_uuid_or_have_no_key(ledger: Ledger) -> None:
    """An id that is no UUID is never vouched for (the pipeline asks on its own); a keyless event can be."""
    keyless, upper = ids(2)
    asked = [("not-a-uuid", TOPIC, "L-1"), (keyless, TOPIC, None), (upper.upper(), TOPIC, "L-3")]
    assert ledger.known_new(asked) == {keyless, upper.upper()}
    assert ledger.known_new([]) == set()
