"""Reading a learner from SA: P8 v2 (no score, no risk item; a 404 costs nothing else), P14 (one bad item is dropped
alone and reported without its value), P2 v2 (a group session per learner) and event ids per pull run (#13)."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest
from structlog.testing import capture_logs

from sync_core.errors import SaNotFound
from sync_core.pull.reads import Dropped, Read, Reader
from sync_core.settings import IntegrationSettings, Mode
from sync_core.smart_assessor.at_once import AtOnce
from tests.overlap import Overlap

SETTINGS = IntegrationSettings(
    integration_enabled=True, risk_from_smart_coach=True, learner_mode=Mode.PULL,
    qualification_dates_mode=Mode.PULL, review_types={"Formal Review": "Progress Review"},
)  # fmt: skip
COURSE = {"id": 9001, "misId": "Q1", "elementsSignedOff": 5, "elementsTotal": 20, "progressAssessedPc": 25.0,
          "progressMappedPc": 30.0, "timelinePc": 10.0, "startDate": "2026-09-01", "plannedEndDate": "2027-09-01"}  # fmt: skip
SESSION = {"id": 20001, "type": "Formal Review", "start": "2026-11-02T09:00:00Z", "durationMinutes": 60,
           "assessorId": 5001, "status": "attended", "actualStart": "2026-11-02T09:05:00Z"}  # fmt: skip
LEARNER = {"id": "g-1", "misId": "L1", "firstName": "Ada", "surname": "Lovelace", "dateOfBirth": "2001-02-03",
           "niNumber": "AB123456C", "postcode": "LS1 1AA"}  # fmt: skip
ASSESSOR = {"id": 5001, "firstName": "Grace", "surname": "Hopper", "email": "grace@example.org"}
EVERY_ITEM = ["QualificationProgress", "QualificationDatesPulled", "ReviewUpserted", "ReviewUpserted",
              "OtjHoursTotal", "SmartCoachRisk", "LearnerDemographicsPulled"]  # fmt: skip


class FakeSa:
    """One SA learner's records (``coach`` None: not in Smart Coach, a 404), and SA's assessors."""

    def __init__(self, **changes: Any) -> None:
        self.records: dict[str, Any] = {
            "learner": dict(LEARNER), "courses": [dict(COURSE)],
            "sessions": [dict(SESSION), {**SESSION, "id": 20002, "status": "planned", "actualStart": None}],
            "otj": {"plannedHours": 300.0, "actualHours": 12.5}, "coach": {"score": 0.7, "band": "High"},
        } | changes  # fmt: skip
        self.assessors = {"5001": dict(ASSESSOR)}

    def get_learner(self, sa_id: str) -> dict[str, Any]:
        return dict(self.records["learner"])

    def list_enrolments(self, learner_id: str) -> list[dict[str, Any]]:
        return copy.deepcopy(self.records["courses"])

    def list_sessions(self, learner_id: str) -> list[dict[str, Any]]:
        return copy.deepcopy(self.records["sessions"])

    def get_otj(self, learner_id: str) -> dict[str, Any]:
        return dict(self.records["otj"])

    def get_smart_coach(self, learner_id: str) -> dict[str, Any]:
        if self.records["coach"] is None:
            raise SaNotFound("Smart Assessor answered 404 to GET /learners/{id}/smart-coach")
        return dict(self.records["coach"])

    def get_assessor(self, sa_id: int | str) -> dict[str, Any]:
        if str(sa_id) not in self.assessors:
            raise SaNotFound("Smart Assessor answered 404 to GET /assessors/{id}")
        return dict(self.assessors[str(sa_id)])

    def get_employer(self, sa_id: int | str) -> dict[str, Any]:
        return {"id": sa_id, "name": "Acme Ltd", "postcode": ""}


def read(sa: FakeSa, *, run_id: int = 7, settings: IntegrationSettings = SETTINGS, ident: str = "L1") -> Read:
    return Reader(sa, settings, run_id, lambda fn, *args: fn(*args)).learner(ident, "g-1")


def names(pulled: Read) -> list[str]:
    return [event.name for event in pulled.events]


def test_every_item_is_read_when_all_is_well() -> None:
    """P1, P2, P6–P9: a sound learner gives every item the settings pull, and drops none."""
    pulled = read(FakeSa())
    assert names(pulled) == EVERY_ITEM and pulled.dropped == []


@pytest.mark.parametrize(
    "coach",
    [
        pytest.param(None, id="P8-v2-not-in-smart-coach-404"),
        pytest.param({"score": None, "band": None}, id="P8-v2-no-score-yet"),
        pytest.param({"score": 0.4, "band": None}, id="P8-v2-no-band-yet"),
    ],
)
def test_p8_no_smart_coach_score_leaves_risk_and_the_other_items(coach: dict[str, Any] | None) -> None:
    """P8 (v2): no Smart Coach score is no risk item (PICS Risk stays), and every other item is still read."""
    pulled = read(FakeSa(coach=coach))
    assert names(pulled) == [name for name in EVERY_ITEM if name != "SmartCoachRisk"]
    assert pulled.dropped == []


def test_p8_a_score_is_a_risk_item() -> None:
    """P8: with S5 on, a score and band become the learner's SmartCoachRisk."""
    [risk] = [event for event in read(FakeSa()).events if event.name == "SmartCoachRisk"]
    assert risk.payload == {"learner_ident": "L1", "score": 0.7, "band": "High"}


def courses(**changes: Any) -> dict[str, Any]:
    return {"courses": [{**COURSE, **changes}]}


def sessions(**changes: Any) -> dict[str, Any]:
    return {"sessions": [dict(SESSION), {**SESSION, "id": 20002, **changes}]}


@pytest.mark.parametrize(
    ("records", "item", "field", "problem"),
    [
        pytest.param(courses(startDate="31/02/2026"), "QualificationDatesPulled", "startDate", "not a date", id="P14-bad-course-date"),
        pytest.param(courses(elementsTotal="20"), "QualificationProgress", "elementsTotal", "not a whole number", id="P14-wrong-type-total"),
        pytest.param(sessions(status="no_show"), "ReviewUpserted", "status", "unknown value", id="P14-unknown-session-status"),
        pytest.param(sessions(start="next Tuesday"), "ReviewUpserted", "start", "not a date and time", id="P14-bad-session-start"),
        pytest.param(sessions(start="2026-11-02T09:00:00"), "ReviewUpserted", "start", "no UTC offset", id="P14-session-start-without-offset"),
        pytest.param(sessions(assessorId=4999), "ReviewUpserted", "assessorId", "no such SA assessor", id="P14-session-assessor-404"),
        pytest.param({"otj": {"actualHours": "12.5"}}, "OtjHoursTotal", "actualHours", "not a number", id="P14-otj-as-text"),
        pytest.param({"coach": {"score": 0.9, "band": "Extreme"}}, "SmartCoachRisk", "band", "unknown value", id="P14-unknown-band"),
        pytest.param({"learner": {**LEARNER, "dateOfBirth": "2001-13-01"}}, "LearnerDemographicsPulled", "dateOfBirth", "not a date", id="P14-bad-date-of-birth"),
        pytest.param({"learner": {**LEARNER, "postcode": 1234}}, "LearnerDemographicsPulled", "postcode", "not text", id="P14-postcode-not-text"),
    ],
)  # fmt: skip
def test_p14_an_item_that_cannot_be_read_is_dropped_alone(
    records: dict[str, Any], item: str, field: str, problem: str
) -> None:
    """P14: the bad item alone is dropped, named with the learner's ident and the SA field; every other item is read."""
    pulled = read(FakeSa(**records))
    expected = list(EVERY_ITEM)
    expected.remove(item)
    assert names(pulled) == expected
    assert pulled.dropped == [Dropped("L1", item, field, problem)]


def test_p14_an_enrolment_without_its_pics_id_drops_its_two_items() -> None:
    """P14: an SA enrolment with no misId matches no PICS qualification: its progress and dates are dropped, both reported."""
    pulled = read(FakeSa(**courses(misId=None)))
    assert names(pulled) == EVERY_ITEM[2:]
    assert [d.reason for d in pulled.dropped] == [
        "QualificationProgress misId: missing",
        "QualificationDatesPulled misId: missing",
    ]


def test_p14_a_session_whose_assessor_cannot_be_read_is_dropped_alone() -> None:
    """P14: an SA assessor without a surname drops the sessions naming it, not the learner's other items."""
    sa = FakeSa()
    sa.assessors["5001"]["surname"] = None
    pulled = read(sa)
    assert "ReviewUpserted" not in names(pulled) and len(pulled.events) == len(EVERY_ITEM) - 2
    assert {d.reason for d in pulled.dropped} == {"ReviewUpserted assessor surname: missing"}


def test_p14_a_drop_is_logged_with_ident_and_field_never_the_value() -> None:
    """P14: the report names learner, item and field; the personal value SA held is in no log line."""
    with capture_logs() as logs:
        read(FakeSa(learner={**LEARNER, "dateOfBirth": "1999-02-30", "niNumber": "QQ999999Z"}))
    [line] = [entry for entry in logs if entry["event"] == "pull.item_dropped"]
    assert (line["key"], line["item"], line["field"], line["rule"]) == (
        "L1",
        "LearnerDemographicsPulled",
        "dateOfBirth",
        "P14",
    )
    assert "1999-02-30" not in repr(logs) and "QQ999999Z" not in repr(logs)


def ids(pulled: Read) -> list[str]:
    return [event.event_id for event in pulled.events]


def test_event_ids_are_the_same_within_a_run_and_new_in_another() -> None:
    """#13: a resumed run (same run id) emits the same ids; another run (a `pull learner` the same day) new ones."""
    sa = FakeSa()
    assert ids(read(sa, run_id=7)) == ids(read(sa, run_id=7))
    assert not set(ids(read(sa, run_id=7))) & set(ids(read(sa, run_id=8)))


def test_p2_a_group_session_is_an_item_of_each_learner() -> None:
    """P2 (v2): one SA session in two learners' lists gives each learner its own review item, with its own id."""
    sa = FakeSa(sessions=[dict(SESSION)])
    first, second = read(sa, ident="L1"), read(sa, ident="L2")
    [review_1] = [e for e in first.events if e.name == "ReviewUpserted"]
    [review_2] = [e for e in second.events if e.name == "ReviewUpserted"]
    assert review_1.payload["sa_session_id"] == review_2.payload["sa_session_id"] == "20001"
    assert (review_1.key, review_2.key) == ("L1", "L2") and review_1.event_id != review_2.event_id


def test_unmapped_sessions_are_counted_not_dropped() -> None:
    """P2: a session of a type S17 does not map is not imported, counted apart from P14's drops."""
    pulled = read(FakeSa(), settings=replace(SETTINGS, review_types={}))
    assert (pulled.unmapped, pulled.dropped) == (2, []) and "ReviewUpserted" not in names(pulled)


def test_p13_blank_details_are_read_as_blanks_not_dropped() -> None:
    """P13 with P14: an empty SA value is not malformed: the item is read, and the rule leaves PICS's value."""
    pulled = read(FakeSa(learner={**LEARNER, "dateOfBirth": "", "niNumber": "", "postcode": None}))
    [details] = [e for e in pulled.events if e.name == "LearnerDemographicsPulled"]
    assert (details.payload["date_of_birth"], details.payload["ni_number"], details.payload["postcode"]) == (
        None,
        "",
        None,
    )
    assert pulled.dropped == []


def test_one_learners_reads_made_at_once_pull_what_reads_in_turn_pull() -> None:
    """A pull of one learner (a refresh, R1) reads its courses, sessions, OTJ hours, risk and record at once
    (``AtOnce``); the items are those read in turn, in the same order."""
    sa = FakeSa()
    overlap = Overlap(wanted=5)
    for name in ("list_enrolments", "list_sessions", "get_otj", "get_smart_coach", "get_learner"):
        setattr(sa, name, overlap.wrap(getattr(sa, name)))
    at_once = AtOnce(threads=8)
    try:
        pulled = Reader(sa, SETTINGS, 7, lambda fn, *args: fn(*args), reads=at_once.started).learner("L1", "g-1")
    finally:
        at_once.close()
    assert overlap.most == 5
    assert [(e.name, e.payload) for e in pulled.events] == [(e.name, e.payload) for e in read(FakeSa()).events]


def test_p8_not_in_smart_coach_read_at_once_leaves_risk_alone() -> None:
    """P8's 404 met on another thread is handled as in turn: no risk item, every other item."""
    at_once = AtOnce(threads=8)
    try:
        pulled = Reader(FakeSa(coach=None), SETTINGS, 7, lambda fn, *a: fn(*a), reads=at_once.started).learner(
            "L1", "g-1"
        )
    finally:
        at_once.close()
    assert names(pulled) == [name for name in EVERY_ITEM if name != "SmartCoachRisk"]
