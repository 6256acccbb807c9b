"""Executing plans: X1, an unchanged push makes no call; dry runs and forced pushes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync_core.executor import content_hash, execute
from sync_core.plan import Skip, UpdateLearner


class RecordingSa:
    """Records the updates it is asked for."""

    def __init__(self) -> None:
        self.updates: list[tuple[str, dict[str, Any]]] = []

    def update_learner(self, sa_id: str, fields: Mapping[str, Any]) -> Mapping[str, Any]:
        self.updates.append((sa_id, dict(fields)))
        return {"id": sa_id, **fields}


class Hashes(dict[str, str]):
    """Pushed-state hashes held in memory."""

    def pushed_hash(self, sa_resource: str) -> str | None:
        return self.get(sa_resource)


PLAN = (UpdateLearner("sa-1", {"email": "a@example.org", "surname": "Lovelace"}),)


def test_first_push_calls_sa_and_returns_the_hash() -> None:
    """A new content is pushed and its hash returned for the ledger."""
    sa = RecordingSa()
    effects = execute(PLAN, sa, Hashes())
    assert sa.updates == [("sa-1", {"email": "a@example.org", "surname": "Lovelace"})]
    assert effects.pushed == {"learner:sa-1": content_hash(PLAN[0].fields)}


def test_unchanged_content_makes_no_call() -> None:
    """X1: content equal to what was last pushed makes no SA call, whatever the key order."""
    sa = RecordingSa()
    hashes = Hashes({"learner:sa-1": content_hash({"surname": "Lovelace", "email": "a@example.org"})})
    effects = execute(PLAN, sa, hashes)
    assert sa.updates == [] and effects.sa_calls == 0


def test_force_pushes_unchanged_content() -> None:
    """--force re-pushes even when the hash says SA has it (an SA that lost data)."""
    sa = RecordingSa()
    execute(PLAN, sa, Hashes({"learner:sa-1": content_hash(PLAN[0].fields)}), force=True)
    assert len(sa.updates) == 1


def test_dry_run_plans_but_calls_nothing() -> None:
    """A dry run lists the calls it would make and makes none."""
    sa = RecordingSa()
    effects = execute((*PLAN, Skip("x", rule="L5")), sa, Hashes(), dry_run=True)
    assert sa.updates == [] and effects.calls == ("PATCH learner:sa-1",) and effects.sa_calls == 0
