"""Employers and assessors in the synchronisation of differences, on the real broker, PostgreSQL and SA sandbox (D1, D4).

Contract: after its learners, the daily run (and `pics-sync reconcile`) asks once for each organisation
and officer linked to them (a placement; an officer in any role or a qualification's assessor),
however many learners share it; the push consumer reads PICS's current record and SA's, once, and under
S12 / S10 = Push sets SA's employer / assessor back to PICS's values (G1, O1), recording each field;
under None neither is read, compared nor reported. `reconcile --dry-run` predicts exactly the writes
the real run then makes, and a reconcile run that crashed mid-way, resumed, sends each request once.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import psycopg
import pytest

from consumers import cli
from consumers.ops.daily_pull import PullOptions, daily_pull
from consumers.service import Service
from sandbox.pics.people import People
from sandbox.sa.process import SaSandboxProcess
from sync_core.config import RuntimeConfig
from sync_core.faults import CRASH_EXIT_CODE
from sync_core.fields import ASSESSOR_FIELDS, EMPLOYER_FIELDS, to_sa
from sync_core.outcome import Kind, Tally
from sync_core.pics.learners import LearnerRepository
from sync_core.pics.tables import PicsTables
from sync_core.state.settings_repo import SettingsRepository
from tests.support import process_env

pytestmark = pytest.mark.integration

PUSH = "Push PICS Data to Smart Assessor"
ON = {"Integration Enabled": "on"}
GET_EMPLOYER, GET_ASSESSOR = "GET /employers/{id}", "GET /assessors/{id}"
PATCH_EMPLOYER, PATCH_ASSESSOR = "PATCH /employers/{id}", "PATCH /assessors/{id}"


@pytest.fixture
def env(config: RuntimeConfig, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """`pics-sync` run in this process sees this test's broker, database, sandbox and topics."""
    for name, value in process_env(config).items():
        if name.startswith("PICS_SYNC_"):
            monkeypatch.setenv(name, value)
    yield


def organisation(service: Service, org_id: str) -> dict[str, Any]:
    """An organisation in PICS linked to an SA employer holding its U2 fields."""
    row = {"id": org_id, "name": f"{org_id} Ltd", "phone_number": "0113 496 0000", "edrs_number": f"E{org_id}",
           "address_1": "1 Mill Lane", "postcode": "LS1 1AA", "website": "https://acme.example",
           "employer_size": "50-249"}  # fmt: skip
    created = service.sa.create_employer({"misId": org_id, **to_sa(row, EMPLOYER_FIELDS)})
    row["additional_id"] = str(created["id"])
    PicsTables(service.pool).upsert("organisation", [row])
    return row


def officer(service: Service, officer_id: str) -> dict[str, Any]:
    """An officer in PICS linked to an SA assessor holding its U3 fields."""
    row = {"id": officer_id, "first_name": "Grace", "surname": "Hopper", "email": f"{officer_id.lower()}@example.org",
           "phone_number": "0113 496 0001", "mobile_number": "07700900001"}  # fmt: skip
    created = service.sa.create_assessor({"misId": officer_id, **to_sa(row, ASSESSOR_FIELDS)})
    row["additional_id"] = str(created["id"])
    PicsTables(service.pool).upsert("officer", [row])
    return row


def learners(service: Service, prefix: str, count: int, placement: str | None, main_officer: str | None) -> list[str]:
    """Eligible learners (Y1) in PICS and SA, placed with ``placement``, with ``main_officer`` as Main Officer."""
    people, idents = People(15), [f"{prefix}{n}" for n in range(count)]
    for ident in idents:
        learner = people.learner(ident)
        created = service.sa.create_learner({"misId": ident, "firstName": learner["first_name"],
                                             "surname": learner["surname"]})  # fmt: skip
        row = {**learner, "smart_assessor_id": created["id"], "placement_organisation_id": placement}
        LearnerRepository(service.pool).upsert([row])
        if main_officer:
            PicsTables(service.pool).upsert("learner_officer", [{"learner_ident": ident, "role": "Main Officer",
                                                                 "officer_id": main_officer}])  # fmt: skip
    return idents


def held(sa: SaSandboxProcess, kind: str, sa_id: str) -> dict[str, Any]:
    """SA's record as its screens show it (no SA call: not in the call log)."""
    records = sa.employers() if kind == "employer" else sa.assessors()
    return next(r for r in records if str(r["id"]) == sa_id)


def count(sa: SaSandboxProcess, call: str) -> int:
    return int(sa.calls()["counts"].get(call, 0))


def drift(service: Service, *entities: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(service.config.database_url.get_secret_value()) as conn:
        query = "SELECT run_id, entity, pics_id, field, direction, action FROM sync.drift WHERE entity = ANY(%s) ORDER BY id"
        return [tuple(row) for row in conn.execute(query, (list(entities),))]


def outcomes(service: Service, topic_suffix: str) -> list[tuple[str, str | None]]:
    with psycopg.connect(service.config.database_url.get_secret_value()) as conn:
        query = 'SELECT outcome, reason FROM sync.processed_events WHERE topic LIKE %s ORDER BY "offset"'
        return [tuple(row) for row in conn.execute(query, (f"%{topic_suffix}",))]


def daily(service: Service) -> dict[str, Any]:
    return daily_pull(service, PullOptions(run_date=date.today(), progress=False))


def test_g1_a_shared_employer_edited_in_sa_is_read_once_and_repaired_by_the_daily_run(
    service: Service, drain: Callable[[], Tally], sa: SaSandboxProcess
) -> None:
    """D1, G1 (S12 = Push): two learners placed with one organisation; its SA employer edited by hand is read once,
    set back to PICS's name and postcode, recorded under the run; the next run finds nothing (D4)."""
    SettingsRepository(service.pool).set_many(ON | {"Update Organisation Demographics Mode": PUSH})
    org = organisation(service, "ORG-SHARED")
    learners(service, "L-SHARE-", 2, placement="ORG-SHARED", main_officer=None)
    sa.edit_record("employers", org["additional_id"], {"name": "Acme (typed in SA)", "postcode": "ls1 1aa"})
    reads = count(sa, GET_EMPLOYER)

    summary = daily(service)
    drain()

    assert (summary["reconcile_requested"], summary["reconcile_requested_employers"]) == (2, 1)
    assert count(sa, GET_EMPLOYER) == reads + 1
    assert (held(sa, "employer", org["additional_id"])["name"], held(sa, "employer", org["additional_id"])["postcode"]) == (
        "ORG-SHARED Ltd", "LS1 1AA")  # fmt: skip
    assert sorted(drift(service, "employer")) == [
        (summary["id"], "employer", "ORG-SHARED", "name", "push", "pushed"),
        (summary["id"], "employer", "ORG-SHARED", "postcode", "push", "pushed"),
    ]
    daily(service)
    drain()
    assert len(drift(service, "employer")) == 2


def test_o1_assessors_edited_in_sa_are_each_read_once_and_repaired_by_the_daily_run(
    service: Service, drain: Callable[[], Tally], sa: SaSandboxProcess
) -> None:
    """D1, O1 (S10 = Push): the Main Officer of two learners and a qualification's own assessor, each edited by hand
    in SA, are each read once and set back to PICS's values, recorded under the run."""
    SettingsRepository(service.pool).set_many(ON | {"Update Officer Demographics Mode": PUSH})
    main, own = officer(service, "OFF-MAIN"), officer(service, "OFF-QUAL")
    first, _second = learners(service, "L-OFF-", 2, placement=None, main_officer="OFF-MAIN")
    PicsTables(service.pool).upsert("learner_qualification", [{"id": "Q-OWN", "learner_ident": first,
                                    "qualification_reference": "UNSUPPORTED-1", "assessor_id": "OFF-QUAL"}])  # fmt: skip
    sa.edit_record("assessors", main["additional_id"], {"email": "typed.in.sa@example.org"})
    sa.edit_record("assessors", own["additional_id"], {"phoneNumber": "0113 999 9999"})
    reads = count(sa, GET_ASSESSOR)

    summary = daily(service)
    drain()

    assert summary["reconcile_requested_assessors"] == 2
    assert count(sa, GET_ASSESSOR) == reads + 2
    assert held(sa, "assessor", main["additional_id"])["email"] == "off-main@example.org"
    assert held(sa, "assessor", own["additional_id"])["phoneNumber"] == "0113 496 0001"
    assert sorted(drift(service, "assessor")) == [
        (summary["id"], "assessor", "OFF-MAIN", "email", "push", "pushed"),
        (summary["id"], "assessor", "OFF-QUAL", "phoneNumber", "push", "pushed"),
    ]


def test_d1_under_none_employers_and_assessors_are_neither_compared_nor_reported(
    service: Service, drain: Callable[[], Tally], sa: SaSandboxProcess
) -> None:
    """D1 (S10, S12 = None): the requests are sent and recorded skipped under G1 and O1; SA is not read, its hand
    edits stay, and no difference is recorded."""
    SettingsRepository(service.pool).set_many(ON)
    org, main = organisation(service, "ORG-NONE"), officer(service, "OFF-NONE")
    learners(service, "L-NONE-", 2, placement="ORG-NONE", main_officer="OFF-NONE")
    sa.edit_record("employers", org["additional_id"], {"name": "Acme (typed in SA)"})
    sa.edit_record("assessors", main["additional_id"], {"email": "typed.in.sa@example.org"})
    reads = count(sa, GET_EMPLOYER), count(sa, GET_ASSESSOR)

    summary = daily(service)
    drain()

    assert (summary["reconcile_requested_employers"], summary["reconcile_requested_assessors"]) == (1, 1)
    assert (count(sa, GET_EMPLOYER), count(sa, GET_ASSESSOR)) == reads
    assert held(sa, "employer", org["additional_id"])["name"] == "Acme (typed in SA)"
    assert held(sa, "assessor", main["additional_id"])["email"] == "typed.in.sa@example.org"
    assert drift(service, "employer", "assessor") == []
    assert outcomes(service, "pics.organisation") == [
        ("skipped", "employer details are not pushed under the settings (G1)")
    ]
    assert outcomes(service, "pics.officer") == [("skipped", "assessor details are not pushed under the settings (O1)")]


def test_d4_reconcile_employers_dry_run_predicts_exactly_the_writes_of_the_real_run(
    env: None, service: Service, drain: Callable[[], Tally], sa: SaSandboxProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    """D4, G1: `reconcile --entity employers --dry-run --json` lists the hand-edited fields of the employers linked to
    the eligible learners and writes nothing; `reconcile --entity employers` then has the consumer write exactly
    those, recorded under its own run, which `reconcile report --run R` shows."""
    SettingsRepository(service.pool).set_many(ON | {"Update Organisation Demographics Mode": PUSH})
    orgs = [organisation(service, f"ORG-D{n}") for n in range(3)]
    for n, org in enumerate(orgs):
        learners(service, f"L-D{n}-", 2, placement=org["id"], main_officer=None)
    sa.edit_record("employers", orgs[0]["additional_id"], {"name": "Typed in SA", "website": None})
    sa.edit_record("employers", orgs[2]["additional_id"], {"edrsNumber": "E999"})
    writes = count(sa, PATCH_EMPLOYER)
    capsys.readouterr()

    assert cli.main(["reconcile", "--entity", "employers", "--dry-run", "--json"]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert (
        count(sa, PATCH_EMPLOYER) == writes and held(sa, "employer", orgs[0]["additional_id"])["name"] == "Typed in SA"
    )
    assert cli.main(["reconcile", "--entity", "employers", "--json"]) == 0
    real = json.loads(capsys.readouterr().out)
    drain()

    predicted = sorted((d["record"], d["pics_id"], d["field"], d["action"]) for d in dry["differences"])
    assert predicted == [("ORG-D0", "ORG-D0", "name", "would push"), ("ORG-D0", "ORG-D0", "website", "would push"),
                         ("ORG-D2", "ORG-D2", "edrsNumber", "would push")]  # fmt: skip
    assert (dry["records"], dry["employers"], dry["learners"], real["reconcile_requested_employers"]) == (3, 3, 0, 3)
    assert sorted((p, f, a) for _r, _e, p, f, _d, a in drift(service, "employer")) == [
        (pics_id, field, "pushed") for _record, pics_id, field, _action in predicted
    ]
    assert {row[0] for row in drift(service, "employer")} == {real["run_id"]}
    assert count(sa, PATCH_EMPLOYER) == writes + 2  # one write per employer that differed
    assert cli.main(["reconcile", "report", "--run", str(real["run_id"]), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == 3


def pics_sync(config: RuntimeConfig, *args: str, crash_at: str | None = None) -> subprocess.CompletedProcess[str]:
    """``pics-sync ARGS`` in its own process on this test's stack (killed at ``crash_at`` as by kill -9)."""
    env = process_env(config, **({"PICS_SYNC_CRASH_AT": crash_at} if crash_at else {}))
    command = [sys.executable, "-c", "from consumers.cli import main; raise SystemExit(main())", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_a_daily_run_killed_mid_way_still_compares_every_linked_employer_once(
    config: RuntimeConfig, service: Service, drain: Callable[[], Tally], sa: SaSandboxProcess
) -> None:
    """D1, G1: the daily run killed after its first learner, then `pull daily --resume`: the employer of the learner
    read before the kill is asked about too (the linked records come after every learner of the run), each
    employer once, and both are repaired."""
    SettingsRepository(service.pool).set_many(ON | {"Update Organisation Demographics Mode": PUSH})
    orgs = [organisation(service, "ORG-RA"), organisation(service, "ORG-RB")]
    for n, org in enumerate(orgs):
        learners(service, f"L-R{n}-", 1, placement=org["id"], main_officer=None)
        sa.edit_record("employers", org["additional_id"], {"name": "Typed in SA"})
    options = ("pull", "daily", "--chunk", "1", "--concurrency", "1", "--rate", "2000")

    crashed = pics_sync(config, *options, crash_at="after_pull_chunk:1")
    assert crashed.returncode == CRASH_EXIT_CODE, crashed.stderr[-2000:]
    resumed = pics_sync(config, *options, "--resume", "--json")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    summary = json.loads(resumed.stdout.splitlines()[-1])
    reads = count(sa, GET_EMPLOYER)
    tally = drain()

    assert summary["reconcile_requested_employers"] == 2 and tally.count(Kind.DUPLICATE) == 0
    assert count(sa, GET_EMPLOYER) == reads + 2
    assert [held(sa, "employer", org["additional_id"])["name"] for org in orgs] == ["ORG-RA Ltd", "ORG-RB Ltd"]
    assert sorted(p for _r, _e, p, _f, _d, _a in drift(service, "employer")) == ["ORG-RA", "ORG-RB"]


def test_a_reconcile_run_killed_mid_way_resumes_and_sends_each_remaining_request_once(
    config: RuntimeConfig, service: Service, drain: Callable[[], Tally], sa: SaSandboxProcess
) -> None:
    """A reconcile run killed after its first checkpoint, then `reconcile --resume`: every record's request reaches
    the consumer once under the run's ids (no duplicate, none missing), and the run ends succeeded."""
    SettingsRepository(service.pool).set_many(ON | {"Update Organisation Demographics Mode": PUSH})
    organisation(service, "ORG-K")
    officer(service, "OFF-K")
    learners(service, "L-K-", 5, placement="ORG-K", main_officer="OFF-K")

    crashed = pics_sync(config, "reconcile", "--chunk", "2", crash_at="after_reconcile_chunk:1")
    assert crashed.returncode == CRASH_EXIT_CODE, crashed.stderr[-2000:]
    resumed = pics_sync(config, "reconcile", "--resume", "--chunk", "2", "--json")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    summary = json.loads(resumed.stdout)
    tally = drain()

    sent = (summary["reconcile_requested"], summary["reconcile_requested_employers"],
            summary["reconcile_requested_assessors"])  # fmt: skip
    assert (summary["resumed"], summary["status"], summary["records"], sent) == (True, "succeeded", 7, (3, 1, 1))
    assert tally.count(Kind.DUPLICATE) == 0 and sum(tally.kinds.values()) == 7
    with psycopg.connect(config.database_url.get_secret_value()) as conn:
        row = conn.execute("SELECT status, learners_read, checkpoint FROM sync.pull_runs WHERE id = %s",
                           (summary["run_id"],)).fetchone()  # fmt: skip
    assert row == ("succeeded", 7, "assessors:OFF-K")
    again = pics_sync(config, "reconcile", "--resume", "--json")
    assert json.loads(again.stdout) == {"run_id": summary["run_id"], "status": "nothing to resume"}
