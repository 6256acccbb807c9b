"""``pics-sync learner IDENT``: the console's learner page as text and JSON, from the real sync state (#17).

Contract: for a learner whose enrolment applied (one qualification unsupported, U5), whose aim closure
parked (A1) and whose later edit parked behind it, ``learner IDENT --json`` is one JSON document with
the events newest first (outcome, rule ids, reason, SA calls, ISO 8601 times), its links per entity
(the learner and its enrolment, as SA holds them), its parked events and its in-sync verdict; the text
form has one block per section in a fixed order; neither holds a learner's details. A learner the sync
state knows nothing of is exit 1 and one line; a database that does not answer is the one
``DatabaseUnavailable`` line of every command.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import psycopg
import pytest

from consumers import cli
from consumers.producer import EventProducer
from consumers.service import Service
from sandbox.sa.process import SaSandboxProcess
from sync_core.config import RuntimeConfig
from sync_core.drift.compare import Difference
from sync_core.outcome import Tally
from sync_core.state.drift import DriftLog
from sync_core.state.settings_repo import SettingsRepository
from tests.learners import (
    BEHIND,
    PARKED_A1,
    UNKNOWN_STATUS,
    aim_closed,
    course,
    edit,
    enrolment,
    new_learner,
    send,
    store_in_pics,
)
from tests.support import process_env

pytestmark = pytest.mark.integration

PICS_SYNC = str(Path(sys.executable).parent / "pics-sync")
IDENT = "L-VIEW-1"
Learner = Callable[..., tuple[int, str, str]]


@pytest.fixture
def learner_cmd(config: RuntimeConfig, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Learner:
    """Runs ``pics-sync learner …`` in-process on this test's database: (exit code, stdout, stderr)."""
    for name, value in process_env(config).items():
        if name.startswith("PICS_SYNC_"):
            monkeypatch.setenv(name, value)

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = cli.main(["learner", *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def history(service: Service, producer: EventProducer, drain: Callable[[], Tally]) -> dict[str, object]:
    """The learner's enrolment (a supported and an unsupported qualification, both in PICS), an aim closure
    that parks (A1) and an edit parked behind it, consumed; the learner's record as PICS sent it."""
    SettingsRepository(service.pool).set_many({"Integration Enabled": "on"})
    learner = new_learner(71, IDENT)
    supported, unsupported = course("Q-VIEW-1"), course("Q-VIEW-2", reference="99999999")
    store_in_pics(service, learner, [supported, unsupported])  # the view reads PICS for the learner's records
    enrolled = enrolment(service, learner, [supported, unsupported])
    send(
        producer,
        IDENT,
        [enrolled, aim_closed(learner, supported, UNKNOWN_STATUS), edit(learner, email="new@example.org")],
    )
    drain()
    # D3: a difference found by the enrolment's event, and one of its enrolment found by no event of its own.
    DriftLog(service.pool).record(
        None, enrolled["event_id"], [Difference("learner", "learner:x", IDENT, "email", "push", "pushed")]
    )
    DriftLog(service.pool).record(
        None, None, [Difference("enrolment", "enrolment:9", "Q-VIEW-1", "endDate", "push", "pushed")]
    )
    return learner


def test_json_is_the_learners_timeline_with_outcomes_rules_links_and_parked(
    learner_cmd: Learner, history: dict[str, object], sa: SaSandboxProcess
) -> None:
    """U5, A1: events newest first with outcome, rule and SA calls; the learner's and enrolment's links; 2 parked."""
    code, out, err = learner_cmd(IDENT, "--json")
    assert (code, err) == (0, "")
    found = json.loads(out)
    events = found["events"]
    assert [(e["event_type"], e["outcome"]) for e in events] == [
        ("LearnerEdited", "parked"), ("IlrAimClosed", "parked"), ("LearnerEnrolled", "applied")]  # fmt: skip
    assert [e["rules"] for e in events] == [[], ["A1"], ["U5"]]
    assert (events[1]["reason"], events[0]["reason"]) == (PARKED_A1, BEHIND)
    assert events[2]["sa_calls"] > 0 and "99999999" in events[2]["reason"]
    datetime.fromisoformat(events[0]["processed_at"])
    [in_sa] = sa.learners()
    links = {(link["entity"], link["pics_id"]): link["sa_id"] for link in found["links"]}
    assert links[("learner", IDENT)] == in_sa["id"] and ("enrolment", "Q-VIEW-1") in links
    assert ("enrolment", "Q-VIEW-2") not in links  # unsupported: never enrolled
    assert found["parked"]["count"] == 2
    assert [p["reason"] for p in found["parked"]["events"]] == [PARKED_A1, BEHIND]
    assert (found["state"]["label"], found["state"]["in_sync"]) == ("not in sync", False)
    assert [(d["entity"], d["field"], d["action"]) for d in events[2]["differences"]] == [
        ("learner", "email", "pushed")
    ]
    assert [(d["entity"], d["pics_id"], d["field"]) for d in found["other_differences"]] == [
        ("enrolment", "Q-VIEW-1", "endDate")]  # fmt: skip


def test_text_is_one_block_a_section_without_personal_data(learner_cmd: Learner, history: dict[str, object]) -> None:
    """The text form: verdict, links, events, their differences, parked events, other differences; no learner detail."""
    code, out, _err = learner_cmd(IDENT)
    assert code == 0
    heads = [block.splitlines()[0] for block in out.strip().split("\n\n")]
    assert heads == [f"learner {IDENT}: not in sync", "links (PICS id → SA id)", "events, newest first (3 shown)",
                     "differences found by these events (D3)", f"parked events (2; `pics-sync dlq redrive --key {IDENT}`)",
                     "other differences of its records (found by no event above)"]  # fmt: skip
    for name in ("first_name", "surname", "email", "uln", "ni_number", "postcode", "mobile_number", "date_of_birth"):
        value = history[name]
        assert not value or str(value) not in out, name
    assert "new@example.org" not in out


def test_limit_shows_the_newest_events_only(learner_cmd: Learner, history: dict[str, object]) -> None:
    """``--limit 2``: the two newest events; a difference of an event not shown is listed with the others."""
    code, out, _err = learner_cmd(IDENT, "--limit", "2")
    assert code == 0 and "events, newest first (2 shown)" in out and "LearnerEnrolled" not in out
    assert "differences found by these events: none" in out
    assert learner_cmd(IDENT, "--limit", "0")[0] == 2


def test_an_unknown_learner_is_exit_1_and_one_line(learner_cmd: Learner, service: Service) -> None:
    """A learner the sync state knows nothing of: exit 1, one line on stderr, nothing on stdout."""
    code, out, err = learner_cmd("L-NOBODY", "--json")
    assert (code, out) == (1, "")
    assert err.splitlines() == ["pics-sync: nothing is known of learner L-NOBODY: no event, link or parked event"]


def test_a_database_that_does_not_answer_is_one_line(config: RuntimeConfig) -> None:
    """The database away: the ``DatabaseUnavailable`` line every command gives, exit 1, no traceback."""
    env = process_env(config, PICS_SYNC_DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")
    done = subprocess.run([PICS_SYNC, "learner", IDENT], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith("pics-sync: DatabaseUnavailable: ") and done.stdout == ""


def test_it_only_reads_and_runs_no_migration(learner_cmd: Learner, config: RuntimeConfig) -> None:
    """A database without the sync state: exit 2 and one line naming ``pics-sync db migrate``; it migrates nothing."""
    url = config.database_url.get_secret_value()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA sync CASCADE")
    code, out, err = learner_cmd(IDENT)
    assert (code, out) == (2, ""), err
    assert err.splitlines() == ["pics-sync: the database holds no sync state yet: run `pics-sync db migrate`"]
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname = 'sync'").fetchone() == (0,)
