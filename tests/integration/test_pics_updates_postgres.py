"""The pull's PICS writes on the real PostgreSQL: only what differs is written (P12), and the write says
which fields it changed, which the drift record files as differences pulled (D1, D3).

Contract: ``PicsUpdates.set_row`` writes a row only when one of the values differs from what PICS holds,
and returns the names of exactly the fields whose value changed; an equal write changes nothing and
returns none; a row PICS does not have returns none.
"""

from __future__ import annotations

import pytest

from consumers.service import Service
from sync_core.pics.updates import PicsUpdates
from tests.learners import new_learner, seed_pics

pytestmark = pytest.mark.integration


def test_p12_d3_set_row_returns_exactly_the_fields_it_changed(service: Service) -> None:
    learner = new_learner(3, "PU-1")
    seed_pics(service, learner)
    pics = PicsUpdates(service.pool)
    fields = {"email": "changed@learner.example", "surname": learner["surname"], "postcode": learner["postcode"]}
    assert pics.set_row("learner", "PU-1", fields) == ("email",)
    assert pics.set_row("learner", "PU-1", fields) == ()  # P12: PICS holds them all now
    with service.pool.connection() as conn:
        row = conn.execute("SELECT email FROM pics.learner WHERE learner_ident = 'PU-1'").fetchone()
    assert row == ("changed@learner.example",)


def test_p12_a_row_pics_does_not_have_changes_nothing(service: Service) -> None:
    assert PicsUpdates(service.pool).set_row("learner", "PU-none", {"email": "x@learner.example"}) == ()
