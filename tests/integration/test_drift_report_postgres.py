"""The drift record (D3) on the real PostgreSQL, and `pics-sync reconcile report` over it and the SA sandbox.

Contract: migration 010 makes ``sync.drift``, which holds names only (record, SA resource, field,
direction, action) and refuses a direction or action outside D3's; the repository records a
learner's differences in one statement and reports them per entity, field, direction and action, by
run or all; the report prints that as tables or as JSON only; and `--values IDENT` is the one output
that shows a value, marked as personal data, read again from PICS and SA.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any, get_args

import psycopg
import pytest

from consumers import cli
from consumers.service import Service
from sandbox.stack.local import Stack
from sandbox.stack.postgres import fresh_database
from sync_core.config import RuntimeConfig
from sync_core.drift.compare import Action, Difference
from sync_core.state.database import open_pool
from sync_core.state.drift import ACTIONS, DriftCount, DriftLog
from sync_core.state.links import LinkRepository
from sync_core.state.pull_runs import PullRuns
from sync_core.state.settings_repo import SettingsRepository
from tests.learners import new_learner, seed_pics
from tests.support import process_env

pytestmark = pytest.mark.integration

Cli = Callable[..., tuple[int, str, str]]
PICS_EMAIL, SA_EMAIL = "pics.value@learner.example", "hand.edit@learner.example"
PICS_FIRST_NAME, SA_FIRST_NAME = "Picsfirst", "Safirst"
PUSH_SETTINGS = {"Integration Enabled": "on", "Update Learner Demographics Mode": "Push PICS Data to Smart Assessor"}


def pushed(entity: str, pics_id: str, field: str, action: Action = "pushed") -> Difference:
    """A pushed field of a record whose SA resource is named after its PICS id."""
    return Difference(entity, f"{entity}:sa-{pics_id}", pics_id, field, "push", action)


@pytest.fixture
def database(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh, migrated database that `pics-sync` run in-process uses."""
    url = fresh_database(stack.database_url)
    monkeypatch.setenv("PICS_SYNC_DATABASE_URL", url)
    return url


@pytest.fixture
def drift(database: str) -> Iterator[DriftLog]:
    """The drift log on this test's database."""
    with open_pool(database, max_size=2) as pool:
        yield DriftLog(pool)


def reconcile(capsys: pytest.CaptureFixture[str]) -> Cli:
    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = cli.main(["reconcile", "report", *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def report(database: str, capsys: pytest.CaptureFixture[str]) -> Cli:
    """`pics-sync reconcile report …` in-process on this test's database: (exit code, out, err)."""
    return reconcile(capsys)


def test_010_drift_holds_names_only_and_refuses_an_unknown_direction_or_action(database: str) -> None:
    """D3: sync.drift has no column for a value, and takes D3's directions and actions (a dry run's too), no other."""
    insert = (
        "INSERT INTO sync.drift (entity, pics_id, sa_resource, field, direction, action)"
        " VALUES (%s, %s, %s, %s, %s, %s)"
    )
    with psycopg.connect(database, autocommit=True) as conn:
        columns = [r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'sync' AND table_name = 'drift'"
            " ORDER BY ordinal_position"
        )]  # fmt: skip
        for action in {*ACTIONS, *get_args(Action)}:  # the comparison's actions are the table's
            conn.execute(insert, ("learner", "L1", "learner:g1", "email", "push", action))
        for bad in (("learner", "L1", "learner:g1", "email", "sideways", "pushed"),
                    ("learner", "L1", "learner:g1", "email", "push", "deleted"),
                    ("course", "L1", "learner:g1", "email", "push", "pushed")):  # fmt: skip
            with pytest.raises(psycopg.errors.CheckViolation):
                conn.execute(insert, bad)
    assert columns == ["id", "run_id", "found_at", "entity", "pics_id", "sa_resource", "field", "direction",
                       "action", "event_id"]  # fmt: skip


def test_record_counts_and_lists_per_run(drift: DriftLog, database: str) -> None:
    """D3: each call records its differences with run and event; counts aggregate per entity, field, direction
    and action, of one run or all; records come newest first, at most ``limit``."""
    with open_pool(database, max_size=1) as pool:
        run = PullRuns(pool).start(date(2025, 3, 1), "daily", 2)
    email, dates = pushed("learner", "L1", "email"), pushed("enrolment", "Q1", "startDate", "failed")
    assert drift.record(run, "e-1", [email, dates]) == 2
    assert drift.record(run, "e-2", [pushed("learner", "L2", "email")]) == 1
    assert drift.record(None, "e-3", [Difference("learner", "learner:g1", "L1", "firstName", "pull", "pulled")]) == 1
    assert drift.record(run, "e-4", []) == 0
    assert drift.counts(run) == [DriftCount("enrolment", "startDate", "push", "failed", 1),
                                 DriftCount("learner", "email", "push", "pushed", 2)]  # fmt: skip
    assert sum(c.count for c in drift.counts()) == 4
    newest = drift.records(run, limit=2)
    assert [(r.run_id, r.event_id, r.pics_id) for r in newest] == [(run, "e-2", "L2"), (run, "e-1", "Q1")]
    assert [r.run_id for r in drift.records()] == [None, run, run, run]
    assert drift.latest_run() == run


def test_d3_an_event_processed_again_records_its_differences_once(drift: DriftLog) -> None:
    """D3: a retried or redelivered event (the same event id) adds no second row for a difference it recorded;
    the same field of another event, or with another action, is a row of its own."""
    email = pushed("learner", "L1", "email")
    assert drift.record(None, "e-1", [email]) == 1
    assert drift.record(None, "e-1", [email, pushed("learner", "L1", "surname")]) == 1
    assert drift.record(None, "e-2", [email]) == 1
    assert drift.record(None, "e-1", [pushed("learner", "L1", "email", "failed")]) == 1
    assert sum(c.count for c in drift.counts()) == 4


def test_of_learner_takes_its_related_records_and_latest_run_is_the_latest_daily_one(
    drift: DriftLog, database: str
) -> None:
    """D3: a learner's records are its own and its related records' (by entity and PICS id), no other's; the
    latest run is the latest daily run, whether or not it found a difference."""
    more = [
        pushed("enrolment", "Q1", "startDate"),
        pushed("assessor", "Q1", "email"),
        pushed("learner", "L2", "email"),
    ]
    drift.record(None, None, [pushed("learner", "L1", "email"), *more])
    found = drift.of_learner("L1", [("enrolment", "Q1")])
    assert [(r.entity, r.pics_id) for r in found] == [("enrolment", "Q1"), ("learner", "L1")]
    with open_pool(database, max_size=1) as pool:
        runs = PullRuns(pool)
        assert drift.latest_run() is None
        daily = runs.start(date(2025, 3, 1), "daily", 1)
        runs.start(date(2025, 3, 1), "learner:L1", 1)
    assert drift.latest_run() == daily


def test_report_as_tables_and_as_json(drift: DriftLog, database: str, report: Cli) -> None:
    """D3: the report gives the counts per entity, field, direction and action, then the records; --json one
    JSON object only; --run narrows to a run, --run latest to the latest daily run."""
    with open_pool(database, max_size=1) as pool:
        run = PullRuns(pool).start(date(2025, 3, 1), "daily", 1)
    drift.record(run, "e-1", [pushed("learner", "L1", "email")])
    drift.record(None, "e-2", [pushed("learner", "L1", "surname", "would push")])
    code, out, err = report()
    assert (code, err) == (0, "")
    assert "differences found, every run and refresh: 2" in out
    assert "records, newest first: 2 of 2" in out
    assert "learner  email    push       pushed      1" in out
    assert "learner:sa-L1" in out and "e-1" in out
    code, out, _ = report("--run", "latest", "--json")
    shown = json.loads(out)
    assert (code, shown["run"], shown["total"]) == (0, run, 1)
    assert shown["counts"] == [{"entity": "learner", "field": "email", "direction": "push", "action": "pushed",
                                "count": 1}]  # fmt: skip
    assert [(r["field"], r["event_id"], r["pics_id"]) for r in shown["records"]] == [("email", "e-1", "L1")]
    code, out, _ = report("--run", str(run + 1))
    assert (code, out) == (0, f"differences found in run {run + 1}\n  none recorded\n")


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        pytest.param(("--run", "last"), 2, "bad --run 'last': a run id (a whole number) or latest", id="bad-run"),
        pytest.param(("--limit", "0"), 2, "--limit must be at least 1, not 0", id="bad-limit"),
        pytest.param(("--run", "latest"), 1, "no daily run has been recorded yet", id="no-run-yet"),
    ],
)
def test_report_refuses_with_one_line(report: Cli, argv: tuple[str, ...], code: int, message: str) -> None:
    """A bad option value exits 2, `--run latest` before any daily run 1, each with one line on stderr."""
    got, out, err = report(*argv)
    assert (got, out, err) == (code, "", f"pics-sync: {message}\n")


@pytest.fixture
def hand_edited(service: Service, config: RuntimeConfig, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A learner in PICS and SA whose email SA holds as edited by hand and first name as PICS has not,
    S6 = Push, its two differences recorded; `pics-sync` in-process on this test's database and sandbox."""
    for name, value in process_env(config).items():
        if name.startswith("PICS_SYNC_"):
            monkeypatch.setenv(name, value)
    SettingsRepository(service.pool).set_many(PUSH_SETTINGS)
    learner = new_learner(15, "L-DRIFT-1", email=PICS_EMAIL, first_name=PICS_FIRST_NAME)
    created = service.sa.create_learner({"misId": "L-DRIFT-1", "firstName": SA_FIRST_NAME,
                                         "surname": learner["surname"], "email": SA_EMAIL})  # fmt: skip
    learner["smart_assessor_id"] = created["id"]
    seed_pics(service, learner)
    LinkRepository(service.pool).link("learner", "L-DRIFT-1", created["id"])
    resource = f"learner:{created['id']}"
    found = [Difference("learner", resource, "L-DRIFT-1", "email", "push", "failed"),
             Difference("learner", resource, "L-DRIFT-1", "firstName", "pull", "pulled")]  # fmt: skip
    DriftLog(service.pool).record(None, "e-1", found)
    return learner


def test_values_is_the_only_output_with_a_value(
    hand_edited: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """D3: the report, as tables or JSON, holds no value of PICS or SA; --values shows both values of the learner's
    differences, read again from PICS and SA, under a personal-data mark, and logs none."""
    run = reconcile(capsys)
    values = (PICS_EMAIL, SA_EMAIL, PICS_FIRST_NAME, SA_FIRST_NAME)
    for argv in ((), ("--json",)):
        code, out, err = run(*argv)
        assert code == 0 and "L-DRIFT-1" in out
        assert not [v for v in values if v in out + err]
    code, out, err = run("--values", "L-DRIFT-1")
    assert code == 0 and err == ""
    assert out.startswith("PERSONAL DATA:")
    email = next(line for line in out.splitlines() if " email " in line)
    assert f'"{PICS_EMAIL}"  "{SA_EMAIL}"' in email  # PICS's, as R1 would push it, then SA's
    first = next(line for line in out.splitlines() if " firstName " in line)
    assert f'"{PICS_FIRST_NAME}"' in first and f'"{SA_FIRST_NAME}"' in first  # SA's as the pull reads it
    code, out, err = run("--values", "L-DRIFT-1", "--json")
    shown = json.loads(out)
    assert (code, err, shown["personal_data"]) == (0, "", True)
    assert {(v["field"], v["pics"], v["sa"]) for v in shown["values"]} == {
        ("email", PICS_EMAIL, SA_EMAIL), ("firstName", PICS_FIRST_NAME, SA_FIRST_NAME)}  # fmt: skip


def test_values_of_a_learner_pics_has_not(hand_edited: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    """--values for a Learner Ident PICS does not hold exits 1 with one line."""
    assert reconcile(capsys)("--values", "L-NOBODY") == (1, "", "pics-sync: PICS has no learner L-NOBODY\n")
