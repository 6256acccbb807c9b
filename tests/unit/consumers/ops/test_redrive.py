"""Redrive's order and stop rules, and the DLQ's age syntax, with fakes: no broker, no database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import stamina

from consumers.cli.dlq_cmd import parse_age
from consumers.ops import redrive
from sync_core.errors import ConfigurationError, GaveUp, SaUnavailable
from sync_core.outcome import Kind, Outcome
from sync_core.pipeline.process import Delivery, RunMode
from sync_core.state.parked import KeyRef, ParkedEvent

KEY = KeyRef("pics.learner", "L-1")
LIVE, DRY = RunMode(), RunMode(dry_run=True)


def parked(offset: int) -> ParkedEvent:
    """A parked event of L-1 whose id is its offset."""
    return ParkedEvent(
        id=offset, topic="pics.learner", partition=0, offset=offset, key="L-1", event_id=f"e{offset}",
        event_type="LearnerEdited", value=b"", headers=(), error_class="Park", reason="not enrolled (X2)",
        attempts=1, parked_at=datetime(2026, 11, 23, tzinfo=UTC),
    )  # fmt: skip


class FakeParked:
    """The repository's redrive half over a list; ``arrive`` parks more events behind, as a live consumer would."""

    def __init__(self, *offsets: int, arrive: dict[int, int] | None = None) -> None:
        self.rows = [parked(o) for o in offsets]
        self.arrive = arrive or {}  # processing this offset parks that one behind
        self.markers = {e.event_id for e in self.rows}

        self.locks: list[KeyRef] = []  # the units redriven under their key's lock, in order

    @contextmanager
    def locked(self, ref: KeyRef) -> Iterator[None]:
        self.locks.append(ref)
        yield

    def of_key(self, _ref: KeyRef) -> list[ParkedEvent]:
        return sorted(self.rows, key=lambda e: e.offset)

    def release(self, event: ParkedEvent) -> None:
        self.markers.discard(event.event_id)

    def restore(self, event: ParkedEvent) -> None:
        self.markers.add(event.event_id)

    def remove(self, event: ParkedEvent) -> None:
        self.rows = [e for e in self.rows if e.id != event.id]


def run(monkeypatch: pytest.MonkeyPatch, repo: FakeParked, mode: RunMode, parks: set[int]) -> tuple[Any, list[int]]:
    """Redrive L-1 with a pipeline that parks the offsets in ``parks`` and applies the rest."""
    seen: list[int] = []

    def process(delivery: Delivery, _ports: Any, _mode: RunMode) -> Outcome:
        offset = delivery.source.offset
        seen.append(offset)
        if offset in repo.arrive:
            repo.rows.append(parked(repo.arrive.pop(offset)))
        if offset in parks:
            return Outcome(Kind.PARKED, reason="not enrolled", rule="X2")
        return Outcome(Kind.APPLIED)

    monkeypatch.setattr(redrive, "process", process)
    return redrive.redrive_key(KEY, None, repo, mode), seen  # type: ignore[arg-type]


def test_applies_in_order_and_empties_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """X2: every event applies, oldest first, and leaves the DLQ."""
    repo = FakeParked(9, 5, 7)
    report, seen = run(monkeypatch, repo, LIVE, parks=set())
    assert seen == [5, 7, 9] and repo.rows == [] and repo.locks == [KEY]  # under the key's lock
    assert (report.count(Kind.APPLIED), report.parked_again, report.still_parked) == (3, False, 0)


def test_stops_at_the_first_that_parks_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """X2: the first event parks again, so the ones behind it are not tried and stay parked, in order."""
    repo = FakeParked(5, 7)
    report, seen = run(monkeypatch, repo, LIVE, parks={5})
    assert seen == [5] and [e.offset for e in repo.of_key(KEY)] == [5, 7]
    assert (report.reason, report.still_parked) == ("not enrolled (X2)", 2)


def test_picks_up_events_parked_behind_meanwhile(monkeypatch: pytest.MonkeyPatch) -> None:
    """An event the live consumer parked behind during the redrive is redriven too, after the others."""
    repo = FakeParked(5, 7, arrive={5: 12})
    report, seen = run(monkeypatch, repo, LIVE, parks=set())
    assert seen == [5, 7, 12] and report.still_parked == 0


def test_dry_run_plans_each_event_once_and_removes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """A dry run reads the key again, finds nothing new and stops; every row and ledger mark stays."""
    repo = FakeParked(5, 7)
    report, seen = run(monkeypatch, repo, DRY, parks=set())
    assert seen == [5, 7] and len(repo.rows) == 2 and repo.markers == {"e5", "e7"} and repo.locks == []
    assert report.count(Kind.APPLIED) == 2 and report.still_parked == 0


def test_a_failure_mid_redrive_keeps_the_event_parked(monkeypatch: pytest.MonkeyPatch) -> None:
    """An error that escapes the pipeline leaves the event parked with its ledger mark back."""
    repo = FakeParked(5)

    def interrupted(*_: Any) -> Outcome:
        raise KeyboardInterrupt

    monkeypatch.setattr(redrive, "process", interrupted)
    with pytest.raises(KeyboardInterrupt):
        redrive.redrive_key(KEY, None, repo, LIVE)  # type: ignore[arg-type]
    assert [e.offset for e in repo.rows] == [5] and repo.markers == {"e5"}


def test_a_keyless_event_is_its_own_unit() -> None:
    """An event without a key has no order to keep: --id redrives just that one."""

    class One:
        def get(self, parked_id: int) -> ParkedEvent:
            return replace(parked(parked_id), key=None)

    assert redrive.select(One(), parked_id=3) == [KeyRef("pics.learner", None, 3)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("45s", timedelta(seconds=45), id="seconds"),
        pytest.param("90m", timedelta(minutes=90), id="minutes"),
        pytest.param("2h", timedelta(hours=2), id="hours"),
        pytest.param(" 3d ", timedelta(days=3), id="days-with-spaces"),
        pytest.param("1w", timedelta(weeks=1), id="weeks"),
    ],
)
def test_age_syntax(text: str, expected: timedelta) -> None:
    """`--older-than`/`--newer-than` take a whole number and one unit."""
    assert parse_age(text) == expected


@pytest.mark.parametrize("text", ["", "2", "h", "1.5h", "2 fortnights", "-3d", "3D"])
def test_bad_ages_are_refused(text: str) -> None:
    """Anything else is a usage error naming the forms that fit."""
    with pytest.raises(ConfigurationError, match="a whole number and a unit"):
        parse_age(text)


def test_transient_errors_are_retried_then_stop(monkeypatch: pytest.MonkeyPatch) -> None:
    """SA down: the redrive retries as its policy allows (five tries), then stops with the event still parked."""
    repo, calls = FakeParked(5), []
    stamina.set_testing(True, attempts=100)  # stamina's backoff without its sleeps

    def down(*_: Any) -> Outcome:
        calls.append(1)
        raise SaUnavailable("SA answered 503", status=503)

    monkeypatch.setattr(redrive, "process", down)
    try:
        with pytest.raises(GaveUp, match="SaUnavailable after 5 tries"):
            redrive.redrive_key(KEY, None, repo, LIVE)  # type: ignore[arg-type]
    finally:
        stamina.set_testing(False)
    assert len(calls) == 5 and repo.markers == {"e5"} and len(repo.rows) == 1
