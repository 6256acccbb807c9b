"""The SA sandbox's overnight simulation of v2 cases (DOMAIN.md v2: P2 group sessions, P8 no Smart Coach score,
P13 SA blanks): deterministic from the seed, in the shares of its mix, and told in counts."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.sa import activity, simulation
from sandbox.sa.config import SandboxConfig
from sandbox.sa.errors import ApiError
from sandbox.sa.records import stamped
from sandbox.sa.simulation import NO_V2, Mix, Simulated
from sandbox.sa.state import SandboxState

HALF = Mix(group_sessions=0.5, not_in_smart_coach=0.2, no_score_yet=0.2, blanks=0.5)


def world(learners: int = 60) -> SandboxState:
    """A sandbox with two assessors and an employer, and ``learners`` enrolled learners split between them."""
    state = SandboxState(SandboxConfig())
    for n in (1, 2):
        state.assessors.insert(stamped({"misId": f"OFF{n}", "firstName": "A", "surname": "B", "email": f"a{n}@x.org",
                                        "phoneNumber": "0113", "mobileNumber": "077"}))  # fmt: skip
    state.employers.insert(stamped({"misId": "ORG1", "name": "Acme", "postcode": "LS1 1AA", "phoneNumber": "0113",
                                    "address1": "1 Mill Lane", "website": "https://acme.example"}))  # fmt: skip
    course = state.courses.all()[0]["id"]
    for assessor, count in ((5001, learners // 2), (5002, learners - learners // 2)):
        simulation.bulk_learners(state, count, f"L{assessor}-", course, 0, assessorId=assessor, employerId=1001)
    details = {"dateOfBirth": "2001-02-03", "niNumber": "AB123456C", "postcode": "LS1 1AA", "email": "l@x.org",
               "phoneNumber": "0113", "mobileNumber": "077", "address1": "1 High St"}  # fmt: skip
    for learner in state.learners.all():
        state.learners.update(learner["id"], details)
    for enrolment in state.enrolments.all():
        state.enrolments.update(enrolment["id"], {"startDate": "2026-09-01", "plannedEndDate": "2027-09-01"})
    return state


def snapshot(state: SandboxState) -> dict[str, Any]:
    """What the pull would read of every learner (session ids left out: each simulation renumbers them)."""

    def coach(learner_id: str) -> Any:
        try:
            return activity.smart_coach_of(state, learner_id)
        except ApiError as error:
            return error.status

    return {
        learner["misId"]: (
            sorted((s["start"], s["type"], len(s["learnerIds"])) for s in activity.sessions_of(state, learner["id"])),
            coach(learner["id"]),
        )
        for learner in state.learners.all()
    }


def test_simulation_is_deterministic_for_a_seed() -> None:
    """A seed gives the same activity whenever it runs, and on the same SA the same counts."""
    state, twin = world(), world()
    first = simulation.simulate(state, 5, state.learners.all(), HALF)
    assert simulation.simulate(twin, 5, twin.learners.all(), HALF) == first and state.last_simulation == first.as_dict()
    seen = snapshot(state)
    simulation.simulate(state, 6, state.learners.all(), HALF)
    assert snapshot(state) != seen
    simulation.simulate(state, 5, state.learners.all(), HALF)
    assert snapshot(state) == seen


def test_p2_group_sessions_are_shared_by_two_or_three_learners_of_one_assessor() -> None:
    """P2 (v2): a group session is one session id in the lists of 2–3 learners who all have its assessor."""
    state = world()
    done = simulation.simulate(state, 5, state.learners.all(), HALF)
    groups = [s for s in state.sessions.all() if len(s["learnerIds"]) > 1]
    assert len(groups) == done.group_sessions > 0
    assert sum(len(s["learnerIds"]) for s in groups) == done.group_session_learners
    for session in groups:
        assert 2 <= len(session["learnerIds"]) <= 3 and session["type"] == "Formal Review"
        for learner_id in session["learnerIds"]:
            assert state.learners.get(learner_id)["assessorId"] == session["assessorId"]  # type: ignore[index]
            assert session["id"] in {s["id"] for s in activity.sessions_of(state, learner_id)}


def test_p8_some_learners_are_not_in_smart_coach_and_some_have_no_score_yet() -> None:
    """P8 (v2): Smart Coach answers 404 for the learners drawn out of it and null score and band for those with none yet."""
    state = world()
    done = simulation.simulate(state, 5, state.learners.all(), HALF)
    answers = [coach for _sessions, coach in snapshot(state).values()]
    assert answers.count(404) == done.not_in_smart_coach > 0
    assert answers.count({"score": None, "band": None}) == done.no_score_yet > 0
    simulation.simulate(state, 5, state.learners.all(), NO_V2)
    assert 404 not in [coach for _sessions, coach in snapshot(state).values()]


def test_p13_sa_blanks_empty_some_details_and_move_modified_at() -> None:
    """P13: the learners drawn get 1–3 details emptied ("" or null), as do their employer, assessor and course dates."""
    state = world()
    before = {learner["id"]: dict(learner) for learner in state.learners.all()}
    done = simulation.simulate(state, 5, state.learners.all(), HALF)
    blanked = [
        learner for learner in state.learners.all()
        if any(learner.get(name) in ("", None) for name in simulation.LEARNER_BLANKS)
    ]  # fmt: skip
    assert len(blanked) == done.blank_learners > 0
    assert all(learner["modifiedAt"] >= before[learner["id"]]["modifiedAt"] for learner in blanked)
    assert all(learner.get("dateOfBirth") != "" for learner in state.learners.all())  # a date is null, never ""
    assert (done.blank_employers, done.blank_assessors) == (1, 2)
    undated = [e for e in state.enrolments.all() if e["startDate"] is None or e["plannedEndDate"] is None]
    assert len(undated) == done.blank_enrolments == done.blank_learners


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_default_mix_is_a_few_percent_of_each(seed: int) -> None:
    """The default mix draws each v2 case for a few percent of learners (3 % each), not for none or most."""
    state = world(400)
    done = simulation.simulate(state, seed, state.learners.all())
    for count in (done.group_sessions, done.not_in_smart_coach, done.no_score_yet, done.blank_learners):
        assert 2 <= count <= 30


def test_bulk_learners_and_no_v2_draw_none_of_the_cases() -> None:
    """Benchmarks' bulk learners, and a mix of zeros, keep v1's activity: no group session, every learner scored."""
    state = world(40)
    assert simulation.simulate(state, 9, state.learners.all(), NO_V2) == Simulated(learners=40)
    assert all(len(s["learnerIds"]) == 1 for s in state.sessions.all())


def test_counts_and_mix_use_the_api_names() -> None:
    """The counts are served, and the mix given, under the API's names."""
    assert Mix.of({"groupSessions": 0.5}) == Mix(group_sessions=0.5)
    assert set(Simulated().as_dict()) == {
        "learners", "groupSessions", "groupSessionLearners", "notInSmartCoach", "noScoreYet", "blankLearners",
        "blankEmployers", "blankAssessors", "blankEnrolments",
    }  # fmt: skip
