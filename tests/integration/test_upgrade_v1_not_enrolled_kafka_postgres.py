"""Upgrading from DOMAIN v1: the learners v1 parked as "not enrolled (X2)", settled by `pics-sync dlq
resolve-not-enrolled` (issue #13), on the real broker, real PostgreSQL and the SA sandbox over HTTP.

Contract (X2 v2): v1 parked an edit of a learner not yet in SA as "not enrolled (X2)", and every later
event of that learner, its LearnerEnrolled included, waited behind it for good. After the upgrade
`pics-sync status` still counts them; `dlq resolve-not-enrolled --dry-run` reports and changes
nothing; `dlq resolve-not-enrolled` redrives each such key under v2: the edit is recorded skipped
"not in Smart Assessor (X2)", the enrolment uploads the learner once, the later edit applies, and
the DLQ is empty; a second run matches nothing (exit 1); the learner's next live edit applies. A key
parked for another reason is left as it is.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest

from consumers import cli
from consumers.cli import dlq_cmd
from consumers.producer import EventProducer
from consumers.service import Service
from sandbox.sa.process import SaSandboxProcess
from sync_core.config import RuntimeConfig
from sync_core.outcome import Kind, Outcome, Source, Tally
from sync_core.rules.learner import pushed_fields
from sync_core.state.ledger import Ledger
from sync_core.state.settings_repo import SettingsRepository
from tests.learners import BEHIND, course, edit, enrolment, new_learner, send
from tests.support import process_env

pytestmark = pytest.mark.integration

PUSH_SETTINGS = {"Integration Enabled": "on", "Update Learner Demographics Mode": "Push PICS Data to Smart Assessor"}
V1_NOT_ENROLLED = "not enrolled (X2)"
SKIPPED_X2 = "not in Smart Assessor (X2)"
SA_WRITES = ("POST /learners", "PATCH /learners/{id}", "POST /learners/{id}/courses")
PicsSync = Callable[..., tuple[int, str, str]]


@dataclass(frozen=True)
class V1Learner:
    """One learner as v1 left it: three events parked, the first for "not enrolled (X2)"."""

    ident: str
    latest: dict[str, Any]  # the last edit's after-image
    event_ids: tuple[str, str, str]  # the first edit, the enrolment, the last edit


@pytest.fixture
def pics_sync(config: RuntimeConfig, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> PicsSync:
    """Runs `pics-sync …` in-process on this test's database, topics and sandbox: (exit code, out, err)."""
    for name, value in process_env(config).items():
        if name.startswith("PICS_SYNC_"):
            monkeypatch.setenv(name, value)
    # Logging configured once per process would keep writing to this test's captured stderr after it closes.
    monkeypatch.setattr(dlq_cmd, "configure_logging", lambda _level: None)

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = cli.main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def pushing(service: Service) -> Service:
    SettingsRepository(service.pool).set_many(PUSH_SETTINGS)
    return service


def park_as_v1(
    service: Service, source: Source, event: dict[str, Any], reason: str, rule: str | None, error_class: str
) -> None:
    """Park the event's real Avro bytes at ``source`` as v1's consumer did (``Ledger.park``)."""
    name = event["event"][0].rpartition(".")[2]
    outcome = Outcome(Kind.PARKED, event["event_id"], name, reason=reason, rule=rule)
    value = service.ports.serde.encode("pics.learner", event)
    Ledger(service.pool).park(source, outcome, value=value, headers=[], error_class=error_class)


def left_by_v1(service: Service, seed: int, ident: str, partition: int) -> V1Learner:
    """v1's deadlock: an edit before "Create in Smart Assessor" parked as not enrolled, then the learner's
    LearnerEnrolled and a later edit parked behind it, at offsets 0-2 of ``partition``."""
    learner = new_learner(seed, ident)
    edited = {**learner, "email": f"{ident.lower()}.1@example.org"}
    latest = {**edited, "email": f"{ident.lower()}.2@example.org", "surname": "Later"}
    events = [edit(edited), enrolment(service, edited, [course(f"Q-{ident}")]), edit(latest)]
    topic = service.config.topic_prefix + "pics.learner"
    for offset, event in enumerate(events):
        reason, rule, error_class = ("not enrolled", "X2", "Park") if offset == 0 else (BEHIND, None, "ParkedBehind")
        park_as_v1(service, Source(topic, partition, offset, ident), event, reason, rule, error_class)
    first, enrolled, last = (str(e["event_id"]) for e in events)
    return V1Learner(ident, latest, (first, enrolled, last))


def parked(config: RuntimeConfig) -> list[tuple[str, str, int]]:
    """(key, reason, attempts) of every parked event, in redrive order."""
    with psycopg.connect(config.database_url.get_secret_value()) as conn:
        query = 'SELECT key, reason, attempts FROM sync.parked_events ORDER BY topic, key, partition, "offset"'
        return [(str(k), str(r), int(a)) for k, r, a in conn.execute(query).fetchall()]


def ledger(config: RuntimeConfig, event_ids: tuple[str, ...]) -> list[tuple[str, str | None] | None]:
    """(outcome, reason) the ledger holds for each event id, in the order given."""
    with psycopg.connect(config.database_url.get_secret_value()) as conn:
        rows = conn.execute("SELECT event_id::text, outcome, reason FROM sync.processed_events").fetchall()
    found = {event_id: (outcome, reason) for event_id, outcome, reason in rows}
    return [found.get(event_id) for event_id in event_ids]


def sa_writes(sa: SaSandboxProcess) -> dict[str, int]:
    counts = sa.calls()["counts"]
    return {route: int(counts.get(route, 0)) for route in SA_WRITES}


def in_sa(sa: SaSandboxProcess, ident: str) -> list[dict[str, Any]]:
    """SA's learner records of this PICS learner (by MIS id)."""
    return [learner for learner in sa.learners() if learner["misId"] == ident]


def key_reports(config: RuntimeConfig, out: str) -> list[str]:
    """The per-key lines of a redrive's report (in-process, structlog's default output shares stdout)."""
    return [line for line in out.splitlines() if line.startswith(config.topic_prefix)]


def assert_status_counts_v1s_parked_events(pics_sync: PicsSync) -> None:
    code, out, _err = pics_sync("status", "--side", "push")
    lines = out.splitlines()
    assert code == 1 and "  ! 6 parked event(s): see `pics-sync dlq list`" in lines, out
    assert any(line.startswith("  2 ") and line.endswith(V1_NOT_ENROLLED) for line in lines), out
    assert any(line.startswith("  4 ") and line.endswith(BEHIND) for line in lines), out


def assert_dry_run_changes_nothing(pics_sync: PicsSync, config: RuntimeConfig, sa: SaSandboxProcess) -> None:
    before, written = parked(config), sa_writes(sa)
    code, out, _err = pics_sync("dlq", "resolve-not-enrolled", "--dry-run")
    reports = [line.split(": ", 1)[1].split(" (")[0] for line in key_reports(config, out)]
    assert code == 0 and reports == ["would redrive 3"] * 2, out
    assert parked(config) == before and sa_writes(sa) == written == dict.fromkeys(SA_WRITES, 0)
    assert sa.learners() == []


def test_resolve_not_enrolled_settles_what_v1_parked(
    pushing: Service,
    config: RuntimeConfig,
    producer: EventProducer,
    drain: Callable[[], Tally],
    sa: SaSandboxProcess,
    pics_sync: PicsSync,
) -> None:
    """X2 v2: v1's "not enrolled (X2)" keys are redriven under v2: the edit skipped, the learner uploaded once with the latest edit."""
    learners = [left_by_v1(pushing, 31, "L-V1-A", 0), left_by_v1(pushing, 32, "L-V1-B", 1)]
    assert_status_counts_v1s_parked_events(pics_sync)
    assert_dry_run_changes_nothing(pics_sync, config, sa)
    for v1 in learners:
        assert ledger(config, v1.event_ids) == [("parked", V1_NOT_ENROLLED), ("parked", BEHIND), ("parked", BEHIND)]

    code, out, _err = pics_sync("dlq", "resolve-not-enrolled")
    prefix = config.topic_prefix + "pics.learner"
    assert code == 0
    assert key_reports(config, out) == [f"{prefix} {v1.ident}: redriven 3 (applied 2, skipped 1)" for v1 in learners]
    assert parked(config) == []
    settings = pushing.ports.settings()
    for v1 in learners:
        assert ledger(config, v1.event_ids) == [("skipped", SKIPPED_X2), ("applied", None), ("applied", None)]
        [record] = in_sa(sa, v1.ident)
        expected = pushed_fields(v1.latest, settings)
        assert {name: record[name] for name in expected} == expected and record["surname"] == "Later"
        assert [e["misId"] for e in sa.enrolments() if e["learnerId"] == record["id"]] == [f"Q-{v1.ident}"]

    code, _out, err = pics_sync("dlq", "resolve-not-enrolled")
    assert code == 1 and "no parked event matches" in err

    last = learners[-1]
    send(producer, last.ident, [edit(last.latest, email="after.upgrade@example.org")])
    assert drain().count(Kind.APPLIED) == 1
    assert [r["email"] for r in in_sa(sa, last.ident)] == ["after.upgrade@example.org"]


def test_resolve_not_enrolled_leaves_other_parked_keys_alone(
    pushing: Service, config: RuntimeConfig, sa: SaSandboxProcess, pics_sync: PicsSync
) -> None:
    """X2 v2: only keys with an event parked for "not enrolled (X2)" are redriven; one parked for another reason stays."""
    left_by_v1(pushing, 33, "L-V1-C", 0)
    other = new_learner(34, "L-V1-OTHER")
    topic = config.topic_prefix + "pics.learner"
    refused = "Smart Assessor answered 422 to PATCH /learners/{id}: invalid_value on uln"
    park_as_v1(pushing, Source(topic, 1, 0, "L-V1-OTHER"), edit(other, uln="12AB"), refused, None, "SaRejected")
    code, out, _err = pics_sync("dlq", "resolve-not-enrolled", "--json")
    assert code == 0
    [report] = json.loads(out.strip().splitlines()[-1])
    assert (report["key"], report["applied"], report["skipped"], report["still_parked"]) == ("L-V1-C", 2, 1, 0)
    assert parked(config) == [("L-V1-OTHER", refused, 1)]
    assert [r["misId"] for r in sa.learners()] == ["L-V1-C"]
