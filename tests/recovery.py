"""What the recovery-recipe scenarios share: learners uploaded with their records, SA compared with PICS
field by field, `pics-sync` commands in-process, and the push consumer as `run` runs it."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from psycopg import sql

from consumers import cli
from consumers.heartbeat import start_heartbeat
from consumers.kafka.clients import make_consumer
from consumers.loop import ParallelLoop
from consumers.producer import EventProducer
from consumers.service import Service
from sandbox.pics.people import Organisations, People
from sandbox.sa.process import SaSandboxProcess
from sync_core.config import RuntimeConfig, kafka_settings
from sync_core.fields import ASSESSOR_FIELDS, DEMOGRAPHICS, EMPLOYER_FIELDS, to_sa, wire
from sync_core.outcome import Kind, Tally
from sync_core.pipeline.policy import Policy
from sync_core.pipeline.routes import PUSH_TOPICS
from sync_core.smart_assessor.circuit import CircuitBreaker
from sync_core.state.settings_repo import SettingsRepository
from tests.learners import course, officer, recorded_enrolment, send
from tests.support import duplicate_sa_records, process_env

PUSH = "Push PICS Data to Smart Assessor"
SETTINGS = {
    "Integration Enabled": "on",
    "Push Changes to Learner Employer": "on",
    "Push Changes to Qualification Assessors": "on",
    "Update Learner Demographics Mode": PUSH,
    "Update Organisation Demographics Mode": PUSH,
    "Update Officer Demographics Mode": PUSH,
}
QUICK = Policy(wait_max_s=0.5)  # the live policy (retry until SA answers) with a short backoff
Row = dict[str, Any]


# --- PICS's learners, and SA against them ---


def enrol(
    service: Service, producer: EventProducer, drain: Callable[[], Tally], seed: int, *idents: str
) -> dict[str, Row]:
    """Each learner uploaded by its LearnerEnrolled (U1–U5): a placement organisation, a Main Officer and a
    supported course of its own, its whole record in PICS, under ``SETTINGS``. Ident → the learner's
    after-image as PICS holds it after the upload (U8), for its edits."""
    SettingsRepository(service.pool).set_many(SETTINGS)
    people = People(seed)
    organisations = Organisations(people)
    sent = {}
    for ident in idents:
        sent[ident] = {**people.learner(ident), "smart_assessor_id": None}
        placement = organisations.organisation(f"ORG-{ident}")
        main = ("Main Officer", officer(f"OFF-{ident}", "Kim", f"Nine{ident[-1]}"))
        event = recorded_enrolment(service, sent[ident], [course(f"{ident}-Q0")], [main], placement)
        send(producer, ident, [event])
    assert drain().count(Kind.APPLIED) == len(idents)
    return {
        ident: {**learner, "smart_assessor_id": one(service, "learner", "learner_ident", ident)["smart_assessor_id"]}
        for ident, learner in sent.items()
    }


def rows(service: Service, table: str, column: str, value: str) -> list[Row]:
    """The PICS rows of ``table`` whose ``column`` is ``value``."""
    query = sql.SQL("SELECT * FROM pics.{} WHERE {} = %s ORDER BY 1").format(
        sql.Identifier(table), sql.Identifier(column)
    )
    with service.pool.connection() as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return list(cur.execute(query, (value,)))


def one(service: Service, table: str, column: str, value: str) -> Row:
    [row] = rows(service, table, column, value)
    return row


def _same(held: Mapping[str, Any], wanted: Mapping[str, Any]) -> list[str]:
    """The fields whose SA value is not PICS's (None and "" are one blank, as the sync compares them)."""
    blank = (None, "")
    return [k for k, v in wanted.items() if held.get(k) != v and not (held.get(k) in blank and v in blank)]


def out_of_step(service: Service, sa: SaSandboxProcess, *idents: str) -> list[str]:
    """What of each learner SA does not hold as PICS does, one line each (empty: SA equals PICS): one SA
    learner under its MIS id, the one PICS's Smart Assessor ID names, with PICS's details (L1), the
    placement's employer (E1, G1) and the Main Officer's assessor (U3, O1), each the one the organisation's
    or officer's Additional ID names, and one enrolment of each qualification with its dates and assessor."""
    found: list[str] = []
    learners = sa.learners()
    employers, assessors = {e["id"]: e for e in sa.employers()}, {a["id"]: a for a in sa.assessors()}
    for ident in idents:
        row = one(service, "learner", "learner_ident", ident)
        held = [r for r in learners if r["misId"] == ident]
        if [r["id"] for r in held] != [row["smart_assessor_id"]]:
            found.append(f"{ident}: SA learners {[r['id'] for r in held]}, not {row['smart_assessor_id']}")
            continue
        found += [f"{ident}: learner {name}" for name in _same(held[0], to_sa(row, DEMOGRAPHICS))]
        org = one(service, "organisation", "id", row["placement_organisation_id"])
        found += _linked(f"{ident}: employer", org, employers, held[0].get("employerId"), EMPLOYER_FIELDS)
        [role] = rows(service, "learner_officer", "learner_ident", ident)
        main = one(service, "officer", "id", role["officer_id"])
        found += _linked(f"{ident}: assessor", main, assessors, held[0].get("assessorId"), ASSESSOR_FIELDS)
        found += _enrolled(service, ident, row["smart_assessor_id"], int(main["additional_id"] or 0))
    return found


def _linked(what: str, pics: Row, held: Mapping[int, Row], used: int | None, fields: Mapping[str, str]) -> list[str]:
    """The PICS organisation's or officer's SA record, the one its Additional ID names: its MIS id, the
    learner's use of it, its fields."""
    record = held.get(int(pics["additional_id"] or 0))
    if record is None or record["misId"] != pics["id"] or used != record["id"]:
        return [f"{what} {pics['additional_id']} (the learner's {used})"]
    return [f"{what} {name}" for name in _same(record, to_sa(pics, fields))]


def _enrolled(service: Service, ident: str, sa_id: str, assessor: int) -> list[str]:
    """Each of the learner's qualifications enrolled once in SA, with its dates and assessor (U5, Q1, Q2)."""
    found: list[str] = []
    enrolments = service.sa.list_enrolments(sa_id)
    for q in rows(service, "learner_qualification", "learner_ident", ident):
        mine = [e for e in enrolments if e.get("misId") == q["id"]]
        if len(mine) != 1:
            found.append(f"{ident}: {len(mine)} enrolments of {q['id']}")
            continue
        wanted = {"startDate": wire(q["start_date"]), "plannedEndDate": wire(q["planned_end_date"]),
                  "assessorId": assessor}  # fmt: skip
        found += [f"{ident}: enrolment {name}" for name in _same(mine[0], wanted)]
    return found


def in_step(service: Service, sa: SaSandboxProcess, *idents: str) -> None:
    """SA equals PICS for these learners, and no PICS record has two SA records (U10, D6)."""
    assert out_of_step(service, sa, *idents) == []
    assert duplicate_sa_records(service, sa) == {}


def sa_writes(sa: SaSandboxProcess, since: int = 0) -> list[tuple[str, str]]:
    """(method, route) of SA's write calls after call ``since``, in order (a token is no write)."""
    log = sa.calls(since=since)["log"]
    return [(c["method"], c["route"]) for c in log if c["method"] != "GET" and c["route"] != "/auth/token"]


def last_seq(sa: SaSandboxProcess) -> int:
    return max((call["seq"] for call in sa.calls()["log"]), default=0)


def ledger(service: Service, ident: str) -> list[tuple[str, str, str | None]]:
    """(event id, outcome, reason) of the learner's events, in the order processed."""
    query = (
        "SELECT event_id::text, outcome, reason FROM sync.processed_events WHERE key = %s"
        ' ORDER BY processed_at, "offset"'
    )
    with service.pool.connection() as conn:
        return [tuple(row) for row in conn.execute(query, (ident,))]


def now() -> str:
    """The time now as `--from` takes it."""
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


# --- `pics-sync` in this process ---

Cli = Callable[..., tuple[int, list[str]]]


@pytest.fixture
def command(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[[RuntimeConfig], Cli]:
    """``command(config)(*argv)``: `pics-sync argv…` in this process on that config's database, broker, sandbox
    and topics; (exit code, the lines it printed)."""

    def on(config: RuntimeConfig) -> Cli:
        def run(*argv: str) -> tuple[int, list[str]]:
            for name, value in process_env(config).items():
                if name.startswith("PICS_SYNC_"):
                    monkeypatch.setenv(name, value)
            capsys.readouterr()
            code = cli.main(list(argv))
            return code, capsys.readouterr().out.strip().splitlines()

        return run

    return on


def replayed(run: Cli, topic: str, *argv: str) -> tuple[dict[str, Any], list[str]]:
    """`pics-sync replay --topic topic argv… --json`: (its summary, the lines before it)."""
    code, lines = run("replay", "--topic", topic, *argv, "--json")
    assert code == 0, lines
    return json.loads(lines[-1]), lines[:-1]


def parked(run: Cli) -> list[Any]:
    """`pics-sync dlq list --json`."""
    code, lines = run("dlq", "list", "--json")
    assert code == 0
    listed: list[Any] = json.loads(lines[-1])
    return listed


# --- SA was down ---


@contextmanager
def consumer_running(config: RuntimeConfig, service: Service, breaker: CircuitBreaker) -> Iterator[ParallelLoop]:
    """The push consumer as `pics-sync run` runs it (the live retry policy, a circuit breaker, a heartbeat every
    0.2 s), in a thread, until the block ends."""
    consumer = make_consumer(kafka_settings(config), config.kafka_group_id)
    loop = ParallelLoop(consumer, service.ports, concurrency=8, breaker=breaker, retry_policy=QUICK)
    loop.subscribe([config.topic_prefix + t for t in PUSH_TOPICS])
    stop = threading.Event()
    writer = start_heartbeat(service.pool, loop, group=config.kafka_group_id, side="push", interval=0.2)
    thread = threading.Thread(target=loop.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield loop
    finally:
        stop.set()
        thread.join(timeout=60)
        writer.stop()
        consumer.close()


RESTORED = ("pics.organisation", "pics.officer", "pics.learner")  # the recipe's order: employers, assessors first
