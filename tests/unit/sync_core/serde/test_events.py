"""The event records: their topics, break phases, and the topic values new_event builds."""

from __future__ import annotations

from datetime import datetime

import pytest

from sync_core.errors import UndecodableEvent
from sync_core.serde import BreakPhase, break_phase, event_records, new_event
from tests.unit.sync_core.serde.samples import EVENTS, LEARNER


def test_every_event_has_a_sample() -> None:
    """EVENTS holds a payload of every event record the topic unions name."""
    assert set(EVENTS) == set(event_records())


def test_event_records() -> None:
    """event_records maps each event record's short name to the topic whose union holds it."""
    assert dict(event_records()) == {
        "LearnerEdited": "pics.learner",
        "LearnerEnrolled": "pics.learner",
        "EmployerChanged": "pics.learner",
        "QualificationChanged": "pics.learner",
        "IlrAimClosed": "pics.learner",
        "BreakInLearning": "pics.learner",
        "RefreshRequested": "pics.learner",
        "LearnerOfficersChanged": "pics.learner",
        "ReconcileRequested": "pics.learner",
        "OrganisationEdited": "pics.organisation",
        "OfficerEdited": "pics.officer",
        "OrganisationReconcileRequested": "pics.organisation",
        "OfficerReconcileRequested": "pics.officer",
        "QualificationProgress": "sa.learner",
        "ReviewUpserted": "sa.learner",
        "OtjHoursTotal": "sa.learner",
        "SmartCoachRisk": "sa.learner",
        "LearnerDemographicsPulled": "sa.learner",
        "QualificationDatesPulled": "sa.learner",
        "OfficerPulled": "sa.officer",
        "OrganisationPulled": "sa.organisation",
    }


def test_learner_edited_stays_first_in_the_union() -> None:
    """The v1 branch keeps its place: new learner events are appended to the union."""
    assert next(iter(event_records())) == "LearnerEdited"


@pytest.mark.parametrize(
    ("value", "phase"),
    [
        pytest.param("start", BreakPhase.START, id="start"),
        pytest.param("return", BreakPhase.RETURN, id="return"),
    ],
)
def test_break_phase(value: str, phase: BreakPhase) -> None:
    """break_phase reads the two phases the contract names."""
    assert break_phase(value) is phase


def test_break_phase_unknown() -> None:
    """An unknown phase is an event we cannot read: UndecodableEvent, so it is parked."""
    with pytest.raises(UndecodableEvent, match="phase 'pause' is not one of start, return"):
        break_phase("pause")


def test_new_event_refuses_unknown_break_phase() -> None:
    """new_event refuses a BreakInLearning whose phase the contract does not name."""
    with pytest.raises(ValueError, match="phase 'Start'"):
        new_event("BreakInLearning", EVENTS["BreakInLearning"] | {"phase": "Start"})


@pytest.mark.parametrize("name", ["LearnerEdited", "pics.events.LearnerEdited"], ids=["short", "fullname"])
def test_new_event_names_the_branch(name: str) -> None:
    """new_event takes an event record's short name or fullname and writes the fullname."""
    assert new_event(name, {"learner": LEARNER})["event"][0] == "pics.events.LearnerEdited"


@pytest.mark.parametrize(
    ("name", "fullname"),
    [
        pytest.param("ReviewUpserted", "sa.events.ReviewUpserted", id="sa-short"),
        pytest.param("sa.events.ReviewUpserted", "sa.events.ReviewUpserted", id="sa-fullname"),
        pytest.param("OrganisationPulled", "sa.events.OrganisationPulled", id="sa-organisation"),
        pytest.param("pics.events.OfficerEdited", "pics.events.OfficerEdited", id="pics-fullname"),
    ],
)
def test_new_event_names_the_branch_in_either_namespace(name: str, fullname: str) -> None:
    """The fullname lookup spans pics.events and sa.events; short names are unique across both."""
    assert new_event(name, {})["event"][0] == fullname


@pytest.mark.parametrize(
    ("name", "source"),
    [
        pytest.param("LearnerEdited", "pics", id="pics"),
        pytest.param("OtjHoursTotal", "smart-assessor", id="sa-learner"),
        pytest.param("OfficerPulled", "smart-assessor", id="sa-officer"),
        pytest.param("OrganisationPulled", "smart-assessor", id="sa-organisation"),
    ],
)
def test_new_event_source_defaults_to_the_topics(name: str, source: str) -> None:
    """Unless given, the source is the default of the topic record's envelope field."""
    assert new_event(name, {})["source"] == source
    assert new_event(name, {}, source="replay")["source"] == "replay"


@pytest.mark.parametrize(
    "name",
    [
        "Learner",
        "LearnerEvent",
        "Nothing",
        "other.ns.LearnerEdited",
        "SaLearnerEvent",
        "PulledAssessor",
        "pics.events.OfficerPulled",
        "sa.events.OfficerEdited",
    ],
    ids=[
        "not-an-event",
        "topic-record",
        "unknown",
        "wrong-namespace",
        "sa-topic-record",
        "sa-not-an-event",
        "sa-event-pics-namespace",
        "pics-event-sa-namespace",
    ],
)
def test_new_event_refuses_unknown_name(name: str) -> None:
    """new_event refuses a name that is no event record."""
    with pytest.raises(ValueError, match="is not an event record"):
        new_event(name, {})


def test_new_event_refuses_naive_time() -> None:
    """A naive occurred_at is refused rather than guessed to be UTC."""
    with pytest.raises(ValueError, match="timezone-aware"):
        new_event("LearnerEdited", {"learner": LEARNER}, occurred_at=datetime(2025, 1, 1))
