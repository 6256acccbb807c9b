"""The daily pull through the real broker: SA (sandbox over HTTP) → sa.* topics → PICS updaters → PostgreSQL.

Contract: only eligible learners are read (Y1, Y2); a run produces the PICS rows the rules say
(P1, P2–P4, P6, P8); event ids are a run's own (#13): what one run emits again (a resume, a
redelivery) is a duplicate, while another run the same day (`pull learner` after the nightly pull)
is applied, so SA's change in between reaches PICS, and a run that brings nothing new changes no
PICS row (P12); a run killed half-way and resumed re-reads at most one chunk and ends with the same
PICS rows as an uninterrupted run. The v2 rules (P1, P2, P5, P8, P13, P14) are in
``test_daily_pull_v2_kafka_postgres.py``.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from consumers.ops.daily_pull import PullOptions, daily_pull, learner_pull, run_pull
from consumers.service import Service
from sandbox.pics.pull_seed import seed_pull_learners
from sandbox.sa.process import SaSandboxProcess
from sync_core.config import RuntimeConfig
from sync_core.faults import CRASH_EXIT_CODE
from sync_core.outcome import Kind, Tally
from sync_core.pics.eligible import EligibleLearners
from sync_core.pics.learners import LearnerRepository
from sync_core.pics.tables import PicsTables
from sync_core.state.pull_runs import PullRuns
from sync_core.state.settings_repo import SettingsRepository
from tests.support import process_env

pytestmark = pytest.mark.integration

TODAY = date.today()
BANDS = {"High": "Red", "Medium": "Yellow", "Low": "Green"}
OTJ_ROUTE = "GET /learners/{id}/otj"


def seed(service: Service, sa: SaSandboxProcess, count: int, prefix: str) -> list[dict[str, Any]]:
    """``count`` eligible learners in SA (with a course and activity) and in PICS; S1 and S5 on."""
    return seed_pull_learners(service.pool, sa, count, prefix)


def pull(service: Service, **options: Any) -> dict[str, Any]:
    return daily_pull(service, PullOptions(run_date=TODAY, rate_per_s=2000, concurrency=8, progress=False, **options))


def otj_reads(sa: SaSandboxProcess) -> Counter[str]:
    """How often each SA learner's OTJ hours were read: one read a learner per run."""
    return Counter(c["resource_id"] for c in sa.calls()["log"] if f"{c['method']} {c['route']}" == OTJ_ROUTE)


def pics_state(service: Service, prefix: str) -> dict[str, Any]:
    """The PICS rows the pull writes, for comparing runs."""
    tables = PicsTables(service.pool)
    learners = {
        r["learner_ident"]: (None if r["actual_otj_hours"] is None else float(r["actual_otj_hours"]), r["risk"])
        for r in LearnerRepository(service.pool).with_prefix(prefix)
    }
    courses = {r["id"]: (r["elements_done"], r["total_elements"]) for r in tables.rows("learner_qualification", prefix)}
    with service.pool.connection() as conn:
        reviews = sorted(conn.execute(
            "SELECT smart_assessor_system_id, review_type, attended_status, reviewer_id IS NOT NULL FROM pics.review"
        ).fetchall())  # fmt: skip
    return {"learners": learners, "courses": courses, "reviews": reviews}


def test_only_eligible_learners_are_read(service: Service, sa: SaSandboxProcess) -> None:
    """Y1, Y2: not Live, not in SA, or ended over a month ago → not read; ended within the month → read."""
    learners = seed(service, sa, 6, "PE-")
    changes = [
        {"system_status": "Archived"},
        {"programme_status": "Completed", "end_date": TODAY - timedelta(days=45)},
        {"programme_status": "Completed", "end_date": TODAY - timedelta(days=10)},
    ]
    LearnerRepository(service.pool).upsert(
        [{**learner, **change} for learner, change in zip(learners, changes, strict=False)]
    )
    summary = pull(service)
    read = set(otj_reads(sa))
    expected = {learners[i]["smart_assessor_id"] for i in (2, 3, 4, 5)}
    assert read == expected
    assert (summary["learners_eligible"], summary["learners_read"]) == (4, 4)


def test_daily_run_writes_the_pics_rows_the_rules_say(
    service: Service, sa: SaSandboxProcess, drain_pulled: Callable[[], Tally]
) -> None:
    """P1, P2–P4, P6, P8: Elements Done, reviews of mapped sessions, OTJ hours and risk match SA."""
    learners = seed(service, sa, 20, "PR-")
    pull(service)
    tally = drain_pulled()
    assert tally.count(Kind.PARKED) == 0 and tally.pics_rows_changed > 0
    state = pics_state(service, "PR-")
    for learner in learners:
        sa_id = learner["smart_assessor_id"]
        otj = service.sa.get_otj(sa_id)
        coach = service.sa.get_smart_coach(sa_id)
        assert state["learners"][learner["learner_ident"]] == (pytest.approx(otj["actualHours"]), BANDS[coach["band"]])
    enrolments = {e["misId"]: e for e in sa.enrolments()}
    for qid, (done, total) in state["courses"].items():
        assert (done, total) == (enrolments[qid]["elementsSignedOff"], enrolments[qid]["elementsTotal"])
    mapped = [s for s in sa.sessions() if s["type"] in ("Formal Review", "Gateway Ready")]
    assert [r[0] for r in state["reviews"]] == sorted(str(s["id"]) for s in mapped)


def test_second_run_changes_nothing(service: Service, sa: SaSandboxProcess, drain_pulled: Callable[[], Tally]) -> None:
    """P12: a second run the same day has ids of its own and is applied, yet writes no PICS row; so does the next day's."""
    seed(service, sa, 15, "PT-")
    pull(service)
    drain_pulled()
    before = pics_state(service, "PT-")
    for run_date in (TODAY, TODAY + timedelta(days=1)):
        daily_pull(service, PullOptions(run_date=run_date, rate_per_s=2000, concurrency=8, progress=False))
        again = drain_pulled()
        assert again.count(Kind.APPLIED) > 0 and again.count(Kind.DUPLICATE) == 0 and again.pics_rows_changed == 0
    assert pics_state(service, "PT-") == before


def test_a_run_read_again_emits_its_own_ids_again(
    service: Service, sa: SaSandboxProcess, drain_pulled: Callable[[], Tally]
) -> None:
    """#13: learners read again by the same run (as `--resume` re-reads those past its checkpoint) are all duplicates."""
    seed(service, sa, 6, "PD-")
    learners = EligibleLearners(service.pool).daily(TODAY)
    run_id = PullRuns(service.pool).start(TODAY, "daily", len(learners))
    options = PullOptions(run_date=TODAY, rate_per_s=2000, concurrency=4, progress=False)
    run_pull(service, options, learners, run_id)
    assert drain_pulled().count(Kind.APPLIED) > 0
    sa.set_activity(
        learners[0]["smart_assessor_id"], otjActualHours=321.0
    )  # the same ids: the change waits for a new run
    run_pull(service, options, learners, run_id)
    again = drain_pulled()
    assert again.count(Kind.APPLIED) == 0 and again.count(Kind.DUPLICATE) > 0


def test_pull_learner_on_the_day_of_the_nightly_pull_brings_what_sa_changed(
    service: Service, sa: SaSandboxProcess, drain_pulled: Callable[[], Tally]
) -> None:
    """#13: the nightly pull, then SA changes, then `pull learner` the same day: its items have new ids, so PICS gets the change."""
    learner, *_ = seed(service, sa, 3, "PL-")
    pull(service)
    drain_pulled()
    sa.set_activity(learner["smart_assessor_id"], otjActualHours=123.5, smartCoachScore=0.9)
    learner_pull(service, PullOptions(run_date=TODAY, rate_per_s=2000, progress=False), learner["learner_ident"])
    tally = drain_pulled()
    assert tally.count(Kind.DUPLICATE) == 0 and tally.pics_rows_changed > 0
    row = LearnerRepository(service.pool).get(learner["learner_ident"])
    assert row is not None and (float(row["actual_otj_hours"]), row["risk"]) == (123.5, "Red")


def pull_process(config: RuntimeConfig, *args: str, crash_at: str | None = None) -> subprocess.CompletedProcess[str]:
    """``pics-sync pull daily`` in its own process on this test's stack."""
    env = process_env(config, **({"PICS_SYNC_CRASH_AT": crash_at} if crash_at else {}))
    command = [sys.executable, "-c", "from consumers.cli import main; raise SystemExit(main())", "pull", "daily", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_killed_run_resumes_and_ends_like_an_uninterrupted_one(
    config: RuntimeConfig, service: Service, sa: SaSandboxProcess, drain_pulled: Callable[[], Tally]
) -> None:
    """A run killed after its second checkpoint resumes there: each learner read at most twice, same PICS rows."""
    learners = seed(service, sa, 40, "PK-")
    options = ("--chunk", "10", "--rate", "2000", "--concurrency", "4")
    crashed = pull_process(config, *options, crash_at="after_pull_chunk:2")
    assert crashed.returncode == CRASH_EXIT_CODE, crashed.stderr[-2000:]
    assert sum(otj_reads(sa).values()) < len(learners)
    resumed = pull_process(config, *options, "--resume", "--json")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    reads = otj_reads(sa)
    assert set(reads) == {learner["smart_assessor_id"] for learner in learners}
    read_ahead = 4 * 4  # the producer reads at most 4 × concurrency learners past its checkpoint
    assert max(reads.values()) <= 2 and sum(reads.values()) <= len(learners) + 10 + read_ahead
    drain_pulled()
    resumed_state = pics_state(service, "PK-")
    with service.pool.connection() as conn:  # the same pull from scratch, for comparison
        conn.execute("UPDATE pics.learner SET actual_otj_hours = NULL, risk = NULL")
        conn.execute("UPDATE pics.learner_qualification SET elements_done = NULL, total_elements = NULL")
        conn.execute("DELETE FROM pics.review")
        conn.execute("DELETE FROM sync.processed_events")
    pull(service)
    drain_pulled()
    assert pics_state(service, "PK-") == resumed_state


def test_stopped_run_keeps_what_it_read_and_resume_reads_the_rest(service: Service, sa: SaSandboxProcess) -> None:
    """SIGTERM mid-run (its stop event): the learners read are sent and checkpointed, no new read starts,
    the run stays unfinished, and --resume reads the rest: each learner at most twice."""
    learners = seed(service, sa, 30, "PS-")
    stop = threading.Event()

    def term_after_five(done: int, _total: int) -> None:
        if done == 5:
            stop.set()

    stopped = pull(service, chunk=10, stop=stop, observe=term_after_five)
    assert stopped["status"] == "stopped"
    assert 5 <= stopped["learners_read"] < len(learners)
    assert stopped["checkpoint"] is not None
    assert sum(otj_reads(sa).values()) <= stopped["learners_read"] + 8  # at most the reads in flight
    resumed = pull(service, resume=True)
    assert (resumed["id"], resumed["status"]) == (stopped["id"], "succeeded")
    reads = otj_reads(sa)
    assert set(reads) == {learner["smart_assessor_id"] for learner in learners}
    assert max(reads.values()) <= 2


def test_resume_after_a_finished_run_reads_nothing(service: Service, sa: SaSandboxProcess) -> None:
    """`pull daily --resume` on a date whose run succeeded (a retried CronJob) makes no SA call."""
    seed(service, sa, 5, "PF-")
    first = pull(service)
    reads = sum(otj_reads(sa).values())
    again = pull(service, resume=True)
    assert sum(otj_reads(sa).values()) == reads == 5
    assert again["id"] == first["id"] and again["status"] == "succeeded"


def test_reviewer_unknown_to_pics_becomes_an_officer_with_an_asso_user(
    service: Service, sa: SaSandboxProcess, drain_pulled: Callable[[], Tally]
) -> None:
    """P5 (with S11 on), P3, P4: one learner's refresh creates the reviewer as a PICS officer and links the review to it."""
    [learner] = seed(service, sa, 1, "P5-")
    SettingsRepository(service.pool).set_many({"Create Users for Officers in ASSO": "on"})
    assessor = service.sa.create_assessor(
        {"misId": "SA-ONLY-1", "firstName": "Mary", "surname": "Seacole", "email": "mary@example.org"}
    )
    start = "2026-11-02T09:00:00Z"
    sessions = [
        {
            "type": "Formal Review",
            "start": start,
            "durationMinutes": 45,
            "assessorId": assessor["id"],
            "status": "attended",
        }
    ]
    sa.set_activity(learner["smart_assessor_id"], sessions=sessions)
    learner_pull(service, PullOptions(run_date=TODAY, rate_per_s=2000, progress=False), learner["learner_ident"])
    drain_pulled()
    with service.pool.connection() as conn:
        officer = conn.execute("SELECT id, first_name, surname, email, additional_id FROM pics.officer").fetchone()
        login = conn.execute("SELECT officer_id, login FROM pics.asso_user").fetchone()
        review = conn.execute(
            "SELECT review_type, attended_status, reviewer_id, actual_at IS NOT NULL FROM pics.review"
        ).fetchone()
    assert officer == (f"SA-{assessor['id']}", "Mary", "Seacole", "mary@example.org", str(assessor["id"]))
    assert login == (officer[0], "mary@example.org")
    assert review == ("Progress Review", "Attended", officer[0], True)


def test_pull_modes_bring_details_into_pics(
    service: Service, sa: SaSandboxProcess, drain_pulled: Callable[[], Tally]
) -> None:
    """P9–P11: with S6, S10 and S12 = Update PICS…, SA's learner, assessor and employer details reach PICS; ULN never (L2)."""
    [learner] = seed(service, sa, 1, "PM-")
    employer = service.sa.create_employer({"misId": "ORG-PM", "name": "Seacole Care Ltd", "postcode": "SE1 7EH"})
    assessor = service.sa.create_assessor(
        {"misId": "OFF-PM", "firstName": "Florence", "surname": "N", "email": "fn@example.org"}
    )
    tables = PicsTables(service.pool)
    tables.upsert("organisation", [{"id": "ORG-PM", "name": "Old name", "additional_id": str(employer["id"])}])
    tables.upsert(
        "officer", [{"id": "OFF-PM", "first_name": "Flo", "surname": "N", "additional_id": str(assessor["id"])}]
    )
    tables.upsert(
        "learner_officer", [{"learner_ident": learner["learner_ident"], "role": "Main Officer", "officer_id": "OFF-PM"}]
    )
    LearnerRepository(service.pool).upsert([{**learner, "uln": "1111111110", "placement_organisation_id": "ORG-PM"}])
    held = service.sa.update_learner(learner["smart_assessor_id"], {"surname": "Pulled", "uln": "2222222221"})
    pull_modes = dict.fromkeys(("S6", "S10", "S12"), "pull")
    for name, value in pull_modes.items():
        SettingsRepository(service.pool).set(name, value)
    pull(service)
    drain_pulled()
    row = LearnerRepository(service.pool).get(learner["learner_ident"])
    assert row is not None and (row["first_name"], row["surname"], row["uln"]) == (
        held["firstName"],
        "Pulled",
        "1111111110",
    )
    assert tables.rows("organisation", "ORG-PM")[0]["name"] == "Seacole Care Ltd"
    assert tables.rows("officer", "OFF-PM")[0]["first_name"] == "Florence"


def test_integration_disabled_pulls_nothing(service: Service, sa: SaSandboxProcess) -> None:
    """S1 off: the daily pull reads nothing from SA."""
    seed(service, sa, 3, "PX-")
    SettingsRepository(service.pool).set("S1", "off")
    assert pull(service)["status"] == "skipped"
    assert not otj_reads(sa)
