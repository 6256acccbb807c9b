"""README's recovery recipes end to end: the real broker, PostgreSQL and the SA sandbox over HTTP.

One test per recipe of README's "Recovery recipes", each run as an operator would run it (the
`pics-sync` commands in-process, the consumer as `run` runs it), each ending with SA equal to PICS
for the learners involved (the learner, its placement employer, its Main Officer's assessor and its
enrolment, field by field under the settings) and no PICS record held twice in SA (U10, D6):

- SA was down: events wait and flow again in order when SA answers; status shows the open circuit.
- A bad deploy pushed wrong values from T: `replay --from T --dry-run --force --verbose`, then `--force`.
- SA was restored from a backup taken at T (D7): every `pics.*` topic replayed from T with `--force`,
  organisations and officers first, rebuilds SA; a second forced replay changes nothing.
- The database was restored (the sync state lost): a plain `replay --from earliest` re-applies what SA
  lacks and finds what it holds by PICS's ids (U10).
- Events older than the topics' retention: replay reads nothing, `pics-sync reconcile` and the
  consumer repair SA (D1, D2, D7).

SA restored from a backup (D7) is in ``test_recovery_restored_sa_kafka_postgres``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from confluent_kafka import TopicPartition
from confluent_kafka.admin import AdminClient
from psycopg import sql
from pydantic import SecretStr

from consumers.producer import EventProducer
from consumers.service import Service, open_service
from sandbox.sa.process import SaSandboxProcess
from sandbox.stack.local import Stack
from sandbox.stack.postgres import fresh_database
from sync_core.config import RuntimeConfig
from sync_core.outcome import Kind, Tally
from sync_core.pipeline.routes import PUSH_TOPICS
from sync_core.smart_assessor.circuit import CircuitBreaker
from sync_core.state.settings_repo import SettingsRepository
from tests.learners import edited_in_pics, send
from tests.recovery import (
    RESTORED,
    SETTINGS,
    Cli,
    command,
    consumer_running,
    enrol,
    in_step,
    last_seq,
    ledger,
    now,
    one,
    out_of_step,
    parked,
    replayed,
    sa_writes,
)
from tests.support import sa_writes_recorded, wait_until

pytestmark = pytest.mark.integration
__all__ = ["command"]  # the fixture, used by name


def test_sa_was_down_events_wait_and_apply_in_order(
    config: RuntimeConfig,
    service: Service,
    producer: EventProducer,
    drain: Callable[[], Tally],
    sa: SaSandboxProcess,
    command: Callable[[RuntimeConfig], Cli],
) -> None:
    """Recipe "SA was down" (X1, L1): while SA answers 503 to every call the consumer keeps running, its circuit
    opens (`pics-sync status` names it and exits 1, with the events as lag), and nothing parks; once SA answers,
    each learner's edits reach SA in the order made, `dlq list` is empty and SA equals PICS. U10: nothing twice."""
    idents = ("L-DOWN-1", "L-DOWN-2", "L-DOWN-3")
    learners = enrol(service, producer, drain, 31, *idents)
    run = command(config)
    emails = {ident: [f"{ident.lower()}.{n}@example.org" for n in range(3)] for ident in idents}
    with sa_writes_recorded(service) as writes, consumer_running(config, service, CircuitBreaker(2, 3.0)):
        sa.configure(error_rate=1.0)
        sent = {}
        for ident in idents:
            sent[ident] = [edited_in_pics(service, {**learners[ident], "email": e}, email=e) for e in emails[ident]]
            send(producer, ident, sent[ident])

        def circuit_open() -> dict[str, Any]:
            """`pics-sync status --json` once it exits 1 naming the open circuit; {} before."""
            code, lines = run("status", "--side", "push", "--json")
            shown: dict[str, Any] = json.loads(lines[-1])
            return shown if code == 1 and any(r.startswith("circuit open on ") for r in shown["reasons"]) else {}

        shown = wait_until(circuit_open, timeout=60, interval=0.3)
        assert shown["groups"][0]["lag"] > 0  # the events wait on Kafka
        assert parked(run) == []
        sa.configure(error_rate=0.0)
        wait_until(lambda: not out_of_step(service, sa, *idents), timeout=60, interval=0.3)

    for ident in idents:
        sa_id = one(service, "learner", "learner_ident", ident)["smart_assessor_id"]
        carried = writes.values_of("update_learner", sa_id, "email")
        assert [v for n, v in enumerate(carried) if n == 0 or carried[n - 1] != v] == emails[ident]  # tries repeat
        applied = [(event_id, outcome) for event_id, outcome, _reason in ledger(service, ident)[1:]]
        assert applied == [(e["event_id"], "applied") for e in sent[ident]]
    assert parked(run) == []
    in_step(service, sa, *idents)


# --- A bad deploy pushed wrong values from time T ---


def test_bad_deploy_from_t_is_repaired_by_a_forced_replay_from_t(
    config: RuntimeConfig,
    service: Service,
    producer: EventProducer,
    drain: Callable[[], Tally],
    sa: SaSandboxProcess,
    command: Callable[[RuntimeConfig], Cli],
) -> None:
    """Recipe "A bad deploy pushed wrong values from time T" (X1, L1): the learners edited since T hold wrong
    values in SA while the ledger and X1's memo say the right ones went. A plain dry run sees nothing to do (the
    ledger knows the events); `replay --from T --dry-run --force --verbose` lists one learner PATCH per learner
    edited since T and writes nothing; `replay --from T --force` makes exactly those, and SA equals PICS. The
    learner edited before T is not touched. U10: nothing twice."""
    before_t, *since_t = idents = ("L-BAD-0", "L-BAD-1", "L-BAD-2")
    learners = enrol(service, producer, drain, 32, *idents)
    send(producer, before_t, [edited_in_pics(service, learners[before_t], postcode="LS1 1AA")])
    drain()
    t = now()
    for ident in since_t:
        right = {**learners[ident], "email": f"{ident.lower()}@right.example"}
        send(producer, ident, [edited_in_pics(service, learners[ident], email=right["email"]),
                               edited_in_pics(service, right, phone_number="0113 496 0777")])  # fmt: skip
    assert drain().count(Kind.APPLIED) == 4
    in_step(service, sa, *idents)
    for ident in since_t:  # what the bad deploy sent instead
        sa_id = one(service, "learner", "learner_ident", ident)["smart_assessor_id"]
        sa.edit_record("learners", sa_id, {"email": "wrong@bad-deploy.example", "phoneNumber": "000"})
    run = command(config)

    plain, _ = replayed(run, "pics.learner", "--from", t, "--dry-run", "--verbose")
    assert (plain["sa_writes"], plain["duplicates"]) == ({}, 2)
    seq = last_seq(sa)
    dry, lines = replayed(run, "pics.learner", "--from", t, "--dry-run", "--force", "--verbose")
    assert dry["sa_writes"] == {"update learner": 2}
    assert sorted(line.split()[1] for line in lines if "update learner" in line) == sorted(since_t)
    assert sa_writes(sa, seq) == []
    done, _ = replayed(run, "pics.learner", "--from", t, "--force")

    assert done["sa_writes"] == {"update learner": 2}
    assert sa_writes(sa, seq) == [("PATCH", "/learners/{id}")] * 2
    in_step(service, sa, *idents)


# --- The database was restored: the sync state is lost ---

PICS_TABLES = ("organisation", "officer", "learner", "learner_officer", "learner_qualification",
               "qualification_link", "review", "asso_user")  # fmt: skip


AWAY = "sent.while.away@example.org"


def copy_pics(source: Service, target_url: str) -> None:
    """PICS's tables as they are, into another database: PICS's own database was not restored."""
    with source.pool.connection() as read, psycopg.connect(target_url) as write:
        for table in PICS_TABLES:
            cursor = read.execute(sql.SQL("SELECT * FROM pics.{}").format(sql.Identifier(table)))
            names = [c.name for c in cursor.description or ()]
            insert = sql.SQL("INSERT INTO pics.{} ({}) VALUES ({})").format(
                sql.Identifier(table),
                sql.SQL(", ").join(map(sql.Identifier, names)),
                sql.SQL(", ").join(sql.Placeholder() * len(names)),
            )
            write.cursor().executemany(insert, cursor.fetchall())


def test_database_restored_a_plain_replay_re_applies_only_what_sa_lacks(
    stack: Stack,
    config: RuntimeConfig,
    service: Service,
    producer: EventProducer,
    drain: Callable[[], Tally],
    sa: SaSandboxProcess,
    command: Callable[[RuntimeConfig], Cli],
) -> None:
    """Recipe "The database was restored" (U10, X1, D6): pics-sync's database is lost (a fresh, migrated one:
    no ledger, links, memo of pushes or create intents; the settings set again) while PICS keeps its ids (Smart
    Assessor ID, Additional IDs). An edit was sent while the consumer was away. `replay --from earliest` of each
    pics.* topic (no --force) creates nothing: every learner, employer and assessor is found by the ids PICS
    holds; SA gets the edit it lacks; SA equals PICS."""
    idents = ("L-DB-1", "L-DB-2")
    learners = enrol(service, producer, drain, 34, *idents)
    send(producer, "L-DB-2", [edited_in_pics(service, learners["L-DB-2"], email=AWAY)])  # not drained
    restored = config.model_copy(update={"database_url": SecretStr(fresh_database(stack.database_url))})
    copy_pics(service, restored.database_url.get_secret_value())
    seq = last_seq(sa)

    with open_service(restored) as after:
        SettingsRepository(after.pool).set_many(SETTINGS)
        run = command(restored)
        done = {topic: replayed(run, topic, "--from", "earliest")[0] for topic in RESTORED}
        assert done["pics.learner"]["parked"] == 0, done
        routes = [(c["method"], c["route"]) for c in sa.calls(since=seq)["log"]]
        # U10: each learner, employer and assessor found by its MIS id (the upload's after-image holds no SA id);
        # X1's memo is lost, so each upload sends the learner's details once more, then the edit SA lacked goes.
        assert [routes.count(("GET", f"/{kind}")) for kind in ("learners", "employers", "assessors")] == [2, 2, 2]
        assert sa_writes(sa, seq) == [("PATCH", "/learners/{id}")] * 3
        assert service.sa.get_learner(learners["L-DB-2"]["smart_assessor_id"])["email"] == AWAY
        in_step(after, sa, *idents)


# --- A topic whose history is older than its retention ---


def test_history_past_retention_is_repaired_by_reconcile(
    config: RuntimeConfig,
    service: Service,
    producer: EventProducer,
    drain: Callable[[], Tally],
    sa: SaSandboxProcess,
    command: Callable[[RuntimeConfig], Cli],
) -> None:
    """Recipe "Events older than the topics' retention" (D1, D2, D7, D6, U10): the learners' events are gone
    from Kafka (deleted as retention deletes them), and SA has drifted: a learner's and an employer's values
    edited, an enrolment deleted, a learner deleted. A replay reads nothing; `pics-sync reconcile --dry-run`
    lists the differences, `pics-sync reconcile` and the consumer repair them: SA equals PICS, nothing twice."""
    idents = ("L-RET-1", "L-RET-2", "L-RET-3")
    enrol(service, producer, drain, 35, *idents)
    admin = AdminClient({"bootstrap.servers": config.kafka_bootstrap_servers})
    gone = [TopicPartition(config.topic_prefix + t, p, -1) for t in PUSH_TOPICS for p in range(3)]  # -1: the end
    for future in admin.delete_records(gone).values():
        future.result(timeout=30)
    first, second, third = (one(service, "learner", "learner_ident", i)["smart_assessor_id"] for i in idents)
    sa.edit_record("learners", first, {"email": "typed.in.sa@example.org"})
    sa.edit_record("employers", one(service, "organisation", "id", "ORG-L-RET-1")["additional_id"],
                   {"name": "Typed In SA Ltd"})  # fmt: skip
    [enrolment] = service.sa.list_enrolments(second)
    sa.delete_enrolment(enrolment["id"])
    sa.delete("learners", third)
    run = command(config)
    assert replayed(run, "pics.learner", "--from", "earliest", "--force")[0]["events_read"] == 0

    code, lines = run("reconcile", "--dry-run", "--json")
    dry = json.loads(lines[-1])
    assert code == 0 and {(d["record"], d["entity"], d["field"], d["action"]) for d in dry["differences"]} >= {
        ("L-RET-1", "learner", "email", "would push"), ("L-RET-2", "enrolment", "courseId", "would enrol"),
        ("ORG-L-RET-1", "employer", "name", "would push")}  # fmt: skip
    assert "L-RET-3" in {d["record"] for d in dry["differences"] + dry["not_compared"]}
    code, lines = run("reconcile", "--json")
    assert code == 0, lines
    assert drain().count(Kind.PARKED) == 0
    code, lines = run("reconcile", "report", "--run", str(json.loads(lines[-1])["run_id"]), "--json")
    done = {(r["pics_id"], r["field"], r["action"]) for r in json.loads(lines[-1])["records"]}
    assert code == 0 and done >= {("L-RET-1", "email", "pushed"), ("L-RET-2-Q0", "courseId", "enrolled"),
                                  ("ORG-L-RET-1", "name", "pushed")}  # fmt: skip
    code, lines = run("reconcile", "--dry-run", "--json")
    assert (json.loads(lines[-1])["differences"], json.loads(lines[-1])["not_compared"]) == ([], [])  # D4
    in_step(service, sa, *idents)
