"""What the daily pull reads of SA (sessions, OTJ, Smart Coach, course progress), the sandbox's
seeding and simulation of it (with section 7 v2: Smart Coach's 404 and unscored learners, group
sessions, ``modifiedAt``), and the faults the pull must live with: the SA client against the sandbox over HTTP."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from sandbox.sa.faults import TokenBucket
from sandbox.sa.process import SaSandboxProcess
from sync_core.errors import SaNotFound, SaUnavailable
from sync_core.smart_assessor.client import SaClient, SaCredentials

pytestmark = pytest.mark.integration

ANN = {"misId": "OFF-1", "firstName": "Ann", "surname": "Smith", "email": "ann@example.org"}
REVIEW = {"type": "Formal Review", "start": "2025-03-04T10:30:00+01:00", "durationMinutes": 60, "status": "attended"}
CALL = {"type": "Telephone", "start": "2025-02-01T09:00:00Z", "durationMinutes": 15, "status": "cancelled_employer"}
PULL_ROUTES = {("get", "/learners/{id}/sessions"), ("get", "/learners/{id}/otj"), ("get", "/learners/{id}/smart-coach")}


def client_of(sa: SaSandboxProcess, **options: Any) -> SaClient:
    return SaClient(sa.base_url, SaCredentials(sa.username, sa.password, sa.client_key), **options)


@pytest.fixture
def client(sa: SaSandboxProcess) -> Iterator[SaClient]:
    """A fresh client of the emptied sandbox."""
    with client_of(sa) as fresh:
        yield fresh


def enrolled(client: SaClient, mis_id: str, **fields: Any) -> tuple[str, int]:
    """A new learner's id and the id of its one enrolment (on the first course)."""
    learner = client.create_learner({"misId": mis_id, "firstName": "Ada", "surname": "Lovelace", **fields})
    enrolment = client.enrol(learner["id"], {"courseId": 101, "misId": f"{mis_id}-Q1"})
    return learner["id"], enrolment["id"]


def smart_coach(client: SaClient, learner_id: str) -> dict[str, Any] | None:
    """The learner's Smart Coach risk; None when SA answers 404 (not in Smart Coach, P8 v2)."""
    try:
        return client.get_smart_coach(learner_id)
    except SaNotFound:
        return None


def pulled(client: SaClient, learner_id: str) -> dict[str, Any]:
    """Everything the daily pull reads of a learner."""
    return {
        "sessions": client.list_sessions(learner_id),
        "otj": client.get_otj(learner_id),
        "smartCoach": smart_coach(client, learner_id),
        "progress": [
            {key: e[key] for key in ("elementsTotal", "elementsSignedOff", "progressAssessedPc", "progressMappedPc")}
            for e in client.list_enrolments(learner_id)
        ],
    }


def refusal(sa: SaSandboxProcess, learner_id: str, **activity: Any) -> tuple[int, str, str | None]:
    """Status, code and field of the sandbox's refusal of ``activity``."""
    with pytest.raises(httpx.HTTPStatusError) as raised:
        sa.set_activity(learner_id, **activity)
    body = raised.value.response.json()
    return raised.value.response.status_code, body["code"], body["field"]


def test_activity_round_trip(client: SaClient, sa: SaSandboxProcess) -> None:
    """P2/P6/P8/P1: activity set in the sandbox is what the client reads: sessions by start, in UTC."""
    assessor = client.create_assessor(ANN)["id"]
    learner_id, enrolment_id = enrolled(client, "L-1", plannedOtjHours=278.0, assessorId=assessor)
    sessions = [{**REVIEW, "assessorId": assessor}, CALL]
    progress = [{"enrolmentId": enrolment_id, "elementsSignedOff": 5, "elementsTotal": 10}]
    sa.set_activity(learner_id, sessions=sessions, otjActualHours=12.5, smartCoachScore=0.5, progress=progress)
    in_utc = {"start": "2025-03-04T09:30:00Z", "actualStart": "2025-03-04T09:30:00Z"}
    half = {"elementsTotal": 10, "elementsSignedOff": 5, "progressAssessedPc": 50.0, "progressMappedPc": 50.0}
    assert pulled(client, learner_id) == {
        "sessions": [
            {**CALL, "id": 20002, "assessorId": None, "actualStart": None},
            {**REVIEW, **in_utc, "id": 20001, "assessorId": assessor},
        ],
        "otj": {"plannedHours": 278.0, "actualHours": 12.5},
        "smartCoach": {"score": 0.5, "band": "Medium"},
        "progress": [half],
    }
    assert {s["learnerId"] for s in sa.sessions()} == {learner_id}


def test_a_learner_without_activity_reads_empty(client: SaClient) -> None:
    """A learner SA holds no activity for has no sessions, 0 actual hours and score 0 (Low)."""
    learner_id, _ = enrolled(client, "L-1")
    assert pulled(client, learner_id) == {
        "sessions": [],
        "otj": {"plannedHours": None, "actualHours": 0.0},
        "smartCoach": {"score": 0.0, "band": "Low"},
        "progress": [{"elementsTotal": 20, "elementsSignedOff": 0, "progressAssessedPc": 0.0, "progressMappedPc": 0.0}],
    }


def test_smart_coach_band_follows_score(client: SaClient, sa: SaSandboxProcess) -> None:
    """P8: the band is High from 0.66, Medium from 0.33, else Low."""
    learner_id, _ = enrolled(client, "L-1")
    bands = {}
    for score in (0.0, 0.32, 0.33, 0.65, 0.66, 1.0):
        sa.set_activity(learner_id, smartCoachScore=score)
        bands[score] = client.get_smart_coach(learner_id)["band"]
    assert bands == {0.0: "Low", 0.32: "Low", 0.33: "Medium", 0.65: "Medium", 0.66: "High", 1.0: "High"}


def test_sessions_follow_pages_and_replace(client: SaClient, sa: SaSandboxProcess) -> None:
    """list_sessions reads every page; setting sessions again replaces them under new ids."""
    learner_id, _ = enrolled(client, "L-1")
    many = [{**CALL, "start": f"2025-02-01T09:{n // 60:02d}:{n % 60:02d}Z"} for n in range(130)]
    sa.set_activity(learner_id, sessions=many)
    assert [s["start"] for s in client.list_sessions(learner_id)] == [s["start"] for s in many]
    sa.set_activity(learner_id, sessions=[CALL])
    assert [s["id"] for s in client.list_sessions(learner_id)] == [20131]
    assert len(sa.sessions()) == 1


@pytest.mark.parametrize(
    ("activity", "expected"),
    [
        pytest.param({"sessions": [{**CALL, "type": "Coffee"}]}, (422, "invalid_value", "sessions"), id="unknown-type"),
        pytest.param({"sessions": [{**CALL, "start": "2025-02-01T09:00:00"}]}, (422, "invalid_value", "sessions"), id="start-without-offset"),
        pytest.param({"sessions": [{**CALL, "assessorId": 4999}]}, (422, "unknown_assessor", "assessorId"), id="unknown-assessor"),
        pytest.param({"sessions": [{**CALL, "actualStart": "2025-02-01T09:00:00Z"}]}, (422, "invalid_value", "actualStart"), id="actual-start-not-attended"),
        pytest.param({"smartCoachScore": 1.5}, (422, "invalid_value", "smartCoachScore"), id="score-above-1"),
        pytest.param({"otjActualHours": -1.0}, (422, "invalid_value", "otjActualHours"), id="negative-hours"),
        pytest.param({"progress": [{"enrolmentId": 1, "elementsSignedOff": 1}]}, (404, "not_found", None), id="unknown-enrolment"),
        pytest.param({"progress": [{"enrolmentId": 9001, "elementsSignedOff": 21}]}, (422, "invalid_value", "elementsSignedOff"), id="more-than-total"),
    ],
)  # fmt: skip
def test_bad_activity_is_refused_whole(
    client: SaClient, sa: SaSandboxProcess, activity: dict[str, Any], expected: tuple[int, str, str | None]
) -> None:
    """A refused activity change (404 or 422 in SA's error shape) changes nothing, sent parts included."""
    learner_id, _ = enrolled(client, "L-1")
    before = pulled(client, learner_id)
    assert refusal(sa, learner_id, **{"sessions": [CALL, REVIEW], **activity}) == expected
    assert pulled(client, learner_id) == before


def test_p8_smart_coach_answers_404_outside_it_and_null_without_a_score(client: SaClient, sa: SaSandboxProcess) -> None:
    """P8 (section 7 v2): a learner not in Smart Coach reads 404 (the learner's other reads answer); with no score
    yet, score and band are null; a score puts it back in Smart Coach."""
    learner_id, _ = enrolled(client, "L-1")
    assert sa.set_activity(learner_id, inSmartCoach=False)["smartCoach"] is None
    with pytest.raises(SaNotFound):
        client.get_smart_coach(learner_id)
    assert client.get_otj(learner_id)["actualHours"] == 0.0 and client.list_sessions(learner_id) == []
    sa.set_activity(learner_id, smartCoachScore=None)
    assert client.get_smart_coach(learner_id) == {"score": None, "band": None}
    sa.set_activity(learner_id, smartCoachScore=0.7)
    assert client.get_smart_coach(learner_id) == {"score": 0.7, "band": "High"}


def test_p2_a_group_session_is_in_every_learners_list(client: SaClient, sa: SaSandboxProcess) -> None:
    """P2 (v2): a session set with ``alsoLearnerIds`` is one session, one id, in each of those learners' lists;
    setting the host's sessions again takes it from every list, setting another learner's leaves it."""
    host, _ = enrolled(client, "L-1")
    others = [enrolled(client, f"L-{n}")[0] for n in (2, 3)]
    sa.set_activity(host, sessions=[{**REVIEW, "alsoLearnerIds": others}])
    lists = [client.list_sessions(learner_id) for learner_id in (host, *others)]
    assert [[s["id"] for s in found] for found in lists] == [[20001]] * 3
    assert lists[0] == lists[1] == lists[2] and len(sa.sessions()) == 1
    sa.set_activity(others[0], sessions=[CALL])
    assert [s["type"] for s in client.list_sessions(others[0])] == ["Telephone", "Formal Review"]
    sa.set_activity(host, sessions=[])
    assert [client.list_sessions(learner_id) for learner_id in others] == [
        [{**CALL, "id": 20002, "assessorId": None, "actualStart": None}],
        [],
    ]


@pytest.mark.parametrize(
    ("also", "expected"),
    [
        pytest.param(["no-such-learner"], (422, "unknown_learner", "alsoLearnerIds"), id="unknown-learner"),
        pytest.param(["HOST"], (422, "invalid_value", "alsoLearnerIds"), id="the-host-itself"),
    ],
)
def test_group_session_naming_a_wrong_learner_is_refused(
    client: SaClient, sa: SaSandboxProcess, also: list[str], expected: tuple[int, str, str]
) -> None:
    """A group session naming a learner SA does not hold, or the host again, is refused whole."""
    host, _ = enrolled(client, "L-1")
    also = [host if learner == "HOST" else learner for learner in also]
    assert refusal(sa, host, sessions=[{**REVIEW, "alsoLearnerIds": also}]) == expected
    assert client.list_sessions(host) == []


def test_records_carry_modified_at(client: SaClient, sa: SaSandboxProcess) -> None:
    """Section 7 v2: learners, employers, assessors and enrolments carry ``modifiedAt``, set on create and moved by
    every write that changes a value (the simulation's too), not by one that changes nothing."""
    learner = client.create_learner({"misId": "L-1", "firstName": "Ada", "surname": "Lovelace", "postcode": "LS1"})
    employer = client.create_employer({"misId": "ORG-1", "name": "Acme"})
    assessor = client.create_assessor(ANN)
    enrolment = client.enrol(learner["id"], {"courseId": 101, "misId": "L-1-Q1"})
    for record in (learner, employer, assessor, enrolment):
        assert record["modifiedAt"] == record["createdAt"]
    time.sleep(0.01)
    updates = [
        client.update_learner(learner["id"], {"postcode": ""}),
        client.update_employer(employer["id"], {"name": "Acme Ltd"}),
        client.update_assessor(assessor["id"], {"phoneNumber": "0113"}),
        client.update_enrolment(learner["id"], enrolment["id"], {"startDate": "2026-09-01"}),
    ]
    for before, after in zip((learner, employer, assessor, enrolment), updates, strict=True):
        assert after["modifiedAt"] == after["updatedAt"] > before["modifiedAt"]
    assert client.update_learner(learner["id"], {"postcode": ""})["modifiedAt"] == updates[0]["modifiedAt"]
    moved = sa.set_activity(learner["id"], progress=[{"enrolmentId": enrolment["id"], "elementsSignedOff": 3}])
    assert moved["progress"][0]["elementsSignedOff"] == 3
    assert client.get_enrolment(learner["id"], enrolment["id"])["modifiedAt"] > updates[3]["modifiedAt"]


def test_unknown_learner_is_not_found(client: SaClient, sa: SaSandboxProcess) -> None:
    """The pull's reads and the sandbox's activity change answer 404 for a learner SA does not hold."""
    for read in (client.list_sessions, client.get_otj, client.get_smart_coach):
        with pytest.raises(SaNotFound):
            read("no-such-learner")
    assert refusal(sa, "no-such-learner", smartCoachScore=0.5) == (404, "not_found", None)
    with pytest.raises(httpx.HTTPStatusError):
        sa.simulate_activity(1, ["no-such-learner"])


def simulated(client: SaClient, learner_ids: list[str]) -> list[dict[str, Any]]:
    """What the pull reads of each learner, session ids left out (each simulation renumbers them)."""
    reads = [pulled(client, learner_id) for learner_id in learner_ids]
    for read in reads:
        read["sessions"] = [{k: v for k, v in s.items() if k != "id"} for s in read["sessions"]]
    return reads


def test_simulated_activity_is_deterministic_and_consistent(client: SaClient, sa: SaSandboxProcess) -> None:
    """A seed gives each learner the same activity, however many learners are simulated with it;
    attended sessions have an actualStart, the figures stay in range and progress adds up."""
    assessor = client.create_assessor(ANN)["id"]
    ids = [enrolled(client, f"L-{n}", assessorId=assessor if n % 2 else None)[0] for n in range(12)]
    assert sa.simulate_activity(7) == 12
    first = simulated(client, ids)
    assert sa.simulate_activity(7, ids[:1]) == 1
    assert simulated(client, ids) == first
    sa.simulate_activity(8)
    assert simulated(client, ids) != first
    sa.simulate_activity(7)
    assert simulated(client, ids) == first
    groups = Counter(learner for s in sa.sessions() if len(s["learnerIds"]) > 1 for learner in s["learnerIds"])
    for learner_id, read in zip(ids, first, strict=True):
        check_simulated(read, {assessor, None}, groups[learner_id])


def check_simulated(read: dict[str, Any], assessors: set[int | None], group_sessions: int = 0) -> None:
    """Simulated activity is in range and consistent: 0–4 sessions of its own, and the group sessions it is in."""
    assert len(read["sessions"]) <= 4 + group_sessions
    for session in read["sessions"]:
        assert (session["actualStart"] is not None) == (session["status"] == "attended")
        assert session["assessorId"] in assessors and session["start"].endswith("Z")
    assert 0 <= read["otj"]["actualHours"] <= 400
    coach = read["smartCoach"]  # None: not in Smart Coach (404); a null score: no score yet (P8 v2)
    assert coach is None or coach["score"] is None or 0 <= coach["score"] <= 1
    (progress,) = read["progress"]
    signed_off, total = progress["elementsSignedOff"], progress["elementsTotal"]
    assert 0 <= signed_off <= total and progress["progressAssessedPc"] == round(100 * signed_off / total, 1)
    assert progress["progressAssessedPc"] <= progress["progressMappedPc"] <= 100


def test_simulation_tells_what_it_did(client: SaClient, sa: SaSandboxProcess) -> None:
    """The v2 cases are drawn in the shares asked for, and the counts are answered and kept until a reset; the SA
    reads agree with them (404s, null scores, group sessions, blanks)."""
    assessor = client.create_assessor(ANN)["id"]
    ids = [
        enrolled(client, f"L-{n:02d}", assessorId=assessor, postcode="LS1", niNumber="AB123456C")[0] for n in range(30)
    ]
    mix = {"groupSessions": 0.3, "notInSmartCoach": 0.2, "noScoreYet": 0.2, "blanks": 0.3}
    counts = sa.simulate_activity_counts(4, **mix)
    assert counts == sa.last_simulation() and counts["learners"] == 30
    assert min(counts[name] for name in ("groupSessions", "notInSmartCoach", "noScoreYet", "blankLearners")) > 0
    coaches = [smart_coach(client, learner_id) for learner_id in ids]
    assert coaches.count(None) == counts["notInSmartCoach"]
    assert coaches.count({"score": None, "band": None}) == counts["noScoreYet"]
    assert len([s for s in sa.sessions() if len(s["learnerIds"]) > 1]) == counts["groupSessions"]
    blanked = [held for held in sa.learners() if any(held.get(f) in ("", None) for f in ("postcode", "niNumber"))]
    assert 0 < len(blanked) <= counts["blankLearners"]
    assert sa.simulate_activity(4, ids[:3], groupSessions=0.0, notInSmartCoach=0.0, noScoreYet=0.0, blanks=0.0) == 3
    assert sa.last_simulation()["groupSessions"] == 0
    sa.reset()
    assert sa.last_simulation() == {}


def test_bulk_learners_are_enrolled_with_activity(client: SaClient, sa: SaSandboxProcess) -> None:
    """bulk_learners(2000) makes enrolled, active learners with activity, and no SA call is logged."""
    assessor = client.create_assessor(ANN)["id"]
    calls_before = sa.calls()["counts"]
    made = sa.bulk_learners(2000, "BENCH-", assessorId=assessor, seed=3)
    assert sa.calls()["counts"] == calls_before
    assert [m["misId"] for m in made[:2]] == ["BENCH-00001", "BENCH-00002"] and made[-1]["misId"] == "BENCH-02000"
    enrolments = {e["id"]: e for e in sa.enrolments()}
    assert Counter(e["learnerId"] for e in enrolments.values()) == Counter(m["id"] for m in made)
    assert all(enrolments[m["enrolmentId"]]["misId"] == m["misId"] + "-Q1" for m in made)
    assert {learner["status"] for learner in sa.learners()} == {"active"}
    assert sum(e["elementsSignedOff"] for e in enrolments.values()) > 0
    assert len({s["learnerId"] for s in sa.sessions()}) > 1500
    sample = simulated(client, [m["id"] for m in made[:20]])
    assert len({read["smartCoach"]["score"] for read in sample}) > 1
    for read in sample:
        check_simulated(read, {assessor, None})


def test_bulk_learners_refuses_taken_mis_ids(sa: SaSandboxProcess) -> None:
    """A second bulk with the same prefix is a 409 and makes no learner."""
    sa.bulk_learners(3, "B-")
    with pytest.raises(httpx.HTTPStatusError) as raised:
        sa.bulk_learners(5, "B-")
    assert raised.value.response.status_code == 409
    assert len(sa.learners()) == 3


def test_reset_forgets_activity(client: SaClient, sa: SaSandboxProcess) -> None:
    """After a reset there are no sessions and session ids start from 20001 again."""
    sa.bulk_learners(10, "B-")
    sa.reset()
    assert sa.sessions() == []
    learner_id, _ = enrolled(client, "L-1")
    assert pulled(client, learner_id)["otj"]["actualHours"] == 0.0
    sa.set_activity(learner_id, sessions=[CALL])
    assert [s["id"] for s in sa.sessions()] == [20001]


def test_pull_reads_meet_faults_and_are_logged(client: SaClient, sa: SaSandboxProcess) -> None:
    """The pull's routes are counted under their templates and fail like any SA call."""
    learner_id, _ = enrolled(client, "L-1")
    for read in (client.list_sessions, client.get_otj, client.get_smart_coach):
        read(learner_id)
    counts = sa.calls()["counts"]
    assert [counts[f"GET {path}"] for _, path in sorted(PULL_ROUTES)] == [1, 1, 1]
    sa.configure(error_rate=1.0)
    with pytest.raises(SaUnavailable):
        client.get_otj(learner_id)


def token_of(sa: SaSandboxProcess) -> dict[str, str]:
    credentials = {"username": sa.username, "password": sa.password, "clientKey": sa.client_key}
    token = httpx.post(f"{sa.base_url}/auth/token", json=credentials).json()["accessToken"]
    return {"Authorization": f"Bearer {token}"}


def test_rate_limit_refuses_a_burst_with_retry_after(client: SaClient, sa: SaSandboxProcess) -> None:
    """At rate_limit_per_s=20 a burst of 40 quick calls gets some 429s, each with Retry-After."""
    learner_id, _ = enrolled(client, "L-1")
    headers = token_of(sa)
    sa.configure(rate_limit_per_s=20)
    with httpx.Client(base_url=sa.base_url, headers=headers) as http:
        answers = [http.get(f"/learners/{learner_id}/otj") for _ in range(40)]
    refused = [a for a in answers if a.status_code == 429]
    assert refused and len(refused) < 40
    assert {(a.headers["Retry-After"], a.json()["code"]) for a in refused} == {("1", "rate_limited")}


def test_rate_limit_passes_a_client_keeping_to_it(client: SaClient, sa: SaSandboxProcess) -> None:
    """At rate_limit_per_s=20 a client spacing its calls 50 ms apart is never refused."""
    learner_id, _ = enrolled(client, "L-1")
    headers = token_of(sa)
    sa.configure(rate_limit_per_s=20)
    statuses = []
    with httpx.Client(base_url=sa.base_url, headers=headers) as http:
        for _ in range(30):
            sent = time.monotonic()
            statuses.append(http.get(f"/learners/{learner_id}/otj").status_code)
            time.sleep(max(0.0, sent + 0.05 - time.monotonic()))
    assert set(statuses) == {200}


@pytest.mark.parametrize(
    ("rate", "steps", "waits"),
    [
        pytest.param(20, [0, 0, 0, 0.05, 0.02, 0.2, 0, 0], [0, 0, 0.05, 0, 0.03, 0, 0, 0.05], id="burst-2-at-20-per-s"),
        pytest.param(1, [0, 0, 0, 0.5, 0.5], [0, 0, 1.0, 0.5, 0], id="burst-at-least-2"),
        pytest.param(500, [0] * 51, [0] * 50 + [0.002], id="burst-a-tenth-of-a-second-at-500-per-s"),
    ],
)  # fmt: skip
def test_rate_limiter_is_a_token_bucket(rate: float, steps: list[float], waits: list[float]) -> None:
    """SA's limiter: bursts of max(2, rate/10) calls, a token back every 1/rate s; a refused call
    takes no token and learns how long until one is back."""
    now = [0.0]
    bucket = TokenBucket.for_rate(rate, clock=lambda: now[0])
    seen = []
    for step in steps:
        now[0] += step
        seen.append(round(bucket.take(), 6))
    assert seen == waits


def test_latency_overlaps_across_concurrent_calls(sa: SaSandboxProcess) -> None:
    """With 100 ms latency, 40 concurrent calls finish in well under 40 × 100 ms."""
    with client_of(sa, max_connections=40) as client:
        learner_id, _ = enrolled(client, "L-1")
        sa.configure(latency_ms=100)
        with ThreadPoolExecutor(max_workers=40) as pool:
            started = time.monotonic()
            list(pool.map(lambda _: client.get_otj(learner_id), range(40)))
            elapsed = time.monotonic() - started
    assert elapsed < 2.0


def test_pull_routes_are_in_the_served_schema(sa: SaSandboxProcess) -> None:
    """/openapi.json documents the pull's routes and none of the sandbox's own."""
    schema = httpx.get(f"{sa.base_url}/openapi.json").json()
    served = {(method, path) for path, ops in schema["paths"].items() for method in ops}
    assert served >= PULL_ROUTES
    assert not any(path.startswith("/_sandbox") for path in schema["paths"])
