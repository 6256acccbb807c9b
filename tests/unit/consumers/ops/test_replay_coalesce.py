"""Replay's coalescing: which edits a later edit of the same key makes redundant, from fake decoded events."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from consumers.ops.replay_coalesce import Record, superseded
from sync_core.outcome import Source
from sync_core.pipeline.process import Delivery
from sync_core.serde import DecodedEvent, Envelope
from tests.unit.sync_core.rules.builders import TODAY, learner, officer, organisation

IMAGES = {"LearnerEdited": "learner", "OrganisationEdited": "organisation", "OfficerEdited": "officer"}
BUILDERS = {"learner": learner, "organisation": organisation, "officer": officer}
OTHER = {"LearnerEnrolled": {"learner": learner()}, "EmployerChanged": {"learner": learner()}}


def event(
    key: str | None, name: str | None, /, on: date = TODAY, **changes: Any
) -> tuple[str | None, DecodedEvent | None]:
    """A decoded event of ``name`` for ``key`` (None: undecodable bytes); ``changes`` edit the after-image."""
    if name is None:
        return key, None
    payload = {IMAGES[name]: BUILDERS[IMAGES[name]](**changes)} if name in IMAGES else OTHER[name]
    envelope = Envelope(f"id-{key}-{name}", datetime.combine(on, time(9), UTC), "pics", 3, ())
    return key, DecodedEvent(envelope, name, payload, "fp:test")


def records(*events: tuple[str | None, DecodedEvent | None], topic: str = "t.pics.learner") -> list[Record]:
    return [
        Record(Delivery(Source(topic, 0, offset, key), b""), decoded) for offset, (key, decoded) in enumerate(events)
    ]


def kept(rows: list[Record]) -> list[int]:
    dropped = superseded(rows)
    return [index for index in range(len(rows)) if index not in dropped]


EDIT = "LearnerEdited"


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        pytest.param([event("a", EDIT, email="1@x"), event("a", EDIT, email="2@x"), event("a", EDIT, email="3@x")], [2], id="L1-run-of-edits-reduced-to-last"),
        pytest.param([event("a", EDIT)], [0], id="L1-single-edit-kept"),
        pytest.param([event("a", EDIT), event("a", "LearnerEnrolled"), event("a", EDIT)], [0, 1, 2], id="enrolment-breaks-run"),
        pytest.param([event("a", EDIT), event("a", EDIT), event("a", "EmployerChanged"), event("a", EDIT), event("a", EDIT)], [1, 2, 4], id="employer-change-splits-two-runs"),
        pytest.param([event("a", EDIT), event("a", None), event("a", EDIT)], [0, 1, 2], id="undecodable-breaks-run"),
        pytest.param([event("a", EDIT), event("b", EDIT), event("a", EDIT), event("b", EDIT)], [2, 3], id="keys-independent"),
        pytest.param([event("a", EDIT), event("b", "LearnerEnrolled"), event("a", EDIT)], [1, 2], id="other-key-event-does-not-break-run"),
        pytest.param([event(None, EDIT), event(None, EDIT)], [0, 1], id="no-key-never-coalesced"),
        pytest.param([event("a", EDIT), event("a", EDIT, smart_assessor_id="g-other")], [0, 1], id="X2-other-sa-learner-not-coalesced"),
        pytest.param([event("a", EDIT), event("a", EDIT), event("a", EDIT, system_status="Withdrawn")], [1, 2], id="Y2-not-live-last-keeps-last-live"),
        pytest.param([event("a", EDIT), event("a", EDIT, system_status="Withdrawn"), event("a", EDIT)], [2], id="Y2-not-live-middle-superseded"),
        pytest.param([event("a", EDIT, programme_status="Completed", end_date=date(2026, 10, 30), on=date(2026, 11, 20)), event("a", EDIT, programme_status="Completed", end_date=date(2026, 10, 30), on=date(2026, 12, 5))], [1], id="Y2-v2-ended-outside-month-still-pushed-so-supersedes"),
        pytest.param([event("o", "OrganisationEdited", name="A"), event("o", "OrganisationEdited", name="B")], [1], id="G1-organisation-edits-reduced"),
        pytest.param([event("o", "OrganisationEdited", additional_id="7"), event("o", "OrganisationEdited", additional_id="8")], [0, 1], id="G1-other-employer-not-coalesced"),
        pytest.param([event("f", "OfficerEdited", email="1@x"), event("f", "OfficerEdited", email="2@x")], [1], id="O1-officer-edits-reduced"),
    ],
)  # fmt: skip
def test_superseded_edits_are_dropped(
    events: list[tuple[str | None, DecodedEvent | None]], expected: list[int]
) -> None:
    """Within a key's run of edits, only the edits that decide SA's final state are kept."""
    assert kept(records(*events)) == expected


def test_same_key_on_other_topic_is_another_record() -> None:
    """Keys are per topic: an edit on one topic never supersedes one on another."""
    rows = [*records(event("a", EDIT)), Record(Delivery(Source("t.other", 0, 9, "a"), b""), event("a", EDIT)[1])]
    assert kept(rows) == [0, 1]


def test_kept_records_stay_in_their_order() -> None:
    """What is left keeps partition/offset order."""
    rows = records(
        event("a", EDIT), event("b", EDIT), event("a", "EmployerChanged"), event("b", EDIT), event("a", EDIT)
    )
    assert [rows[i].delivery.source.offset for i in kept(rows)] == [0, 2, 3, 4]
