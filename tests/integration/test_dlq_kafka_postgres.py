"""`pics-sync dlq` against the real broker, real PostgreSQL and the SA sandbox over HTTP.

Contract: parked events are listed in redrive order with their reasons, filtered by key, reason and
age, as a table or JSON; `show` gives the envelope and leaves personal fields out unless asked; a
redrive replays a key's parked events in order through the same handlers and empties the DLQ once
they apply (the cause fixed), keeps them all parked in order when the first still fails (A1: the
same bytes carry the same unknown code), and changes nothing as a dry run; `discard` deletes only
with consent.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from consumers import cli
from consumers.cli import dlq_cmd
from consumers.producer import EventProducer
from consumers.service import Service
from sandbox.sa.process import SaSandboxProcess
from sync_core.config import RuntimeConfig
from sync_core.outcome import Kind, Tally
from sync_core.state.links import LinkRepository
from sync_core.state.settings_repo import SettingsRepository
from tests.learners import (
    BEHIND,
    FAULT,
    PARKED_A1,
    edit,
    new_learner,
    parking_on_unknown_status,
    rule_raising_for,
    send,
)
from tests.support import process_env

pytestmark = pytest.mark.integration

PUSH_SETTINGS = {
    "Integration Enabled": "on",
    "Update Learner Demographics Mode": "Push PICS Data to Smart Assessor",
}
SA_WRITES = ("POST /learners", "PATCH /learners/{id}", "POST /learners/{id}/courses",
             "PATCH /learners/{id}/courses/{enrolmentId}")  # fmt: skip
Dlq = Callable[..., tuple[int, str, str]]


@pytest.fixture
def dlq(config: RuntimeConfig, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Dlq:
    """Runs `pics-sync dlq …` in-process on this test's database, topics and sandbox: (exit code, out, err)."""
    for name, value in process_env(config).items():
        if name.startswith("PICS_SYNC_"):
            monkeypatch.setenv(name, value)
    if dlq_cmd not in cli.COMMANDS:  # until `dlq` is registered in consumers.cli
        monkeypatch.setattr(cli, "COMMANDS", (*cli.COMMANDS, dlq_cmd))
    # Logging configured once per process would keep writing to this test's captured stderr after it closes.
    monkeypatch.setattr(dlq_cmd, "configure_logging", lambda _level: None)

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = cli.main(["dlq", *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def pushing(service: Service) -> Service:
    SettingsRepository(service.pool).set_many(PUSH_SETTINGS)
    return service


def listed(dlq: Dlq, *argv: str) -> list[dict[str, Any]]:
    """`dlq list --json` with these options, parsed."""
    code, out, _err = dlq("list", "--json", *argv)
    assert code == 0
    rows: list[dict[str, Any]] = json.loads(out.strip().splitlines()[-1])
    return rows


def park_on_unknown_status(
    service: Service, producer: EventProducer, drain: Callable[[], Tally], ident: str
) -> dict[str, Any]:
    """A1: a learner enrolled on a supported course; its aim closed with an unknown completion status parks
    naming the code, and its next edit (to first@example.org) parks behind it. A redrive parks them again."""
    learner = new_learner(7, ident)
    send(producer, ident, parking_on_unknown_status(service, learner, "first@example.org"))
    tally = drain()
    assert (tally.count(Kind.APPLIED), tally.count(Kind.PARKED)) == (1, 2)
    return learner


def park_on_a_bug(service: Service, producer: EventProducer, drain: Callable[[], Tally], ident: str) -> str:
    """Two edits of a learner in SA parked while its rule raised, as a bug would (the first by the error's
    class, the second behind it); the bug is fixed afterwards, so a redrive applies them. The SA id."""
    learner = new_learner(7, ident)
    sa_id = link_in_sa(service, learner)
    with rule_raising_for(service, ident):
        send(producer, ident, [edit(learner, email=email) for email in ("first@example.org", "second@example.org")])
        assert drain().count(Kind.PARKED) == 2
    return sa_id


def link_in_sa(service: Service, learner: dict[str, Any]) -> str:
    """The learner in SA, linked as the consumer would have linked it."""
    created = service.sa.create_learner(
        {"misId": learner["learner_ident"], "firstName": learner["first_name"], "surname": learner["surname"]}
    )
    LinkRepository(service.pool).link("learner", learner["learner_ident"], created["id"])
    return str(created["id"])


def sa_writes(sa: SaSandboxProcess) -> dict[str, int]:
    """How many learner and course writes SA has received, by route."""
    counts = sa.calls()["counts"]
    return {route: int(counts.get(route, 0)) for route in SA_WRITES}


def ledger_outcomes(config: RuntimeConfig, event_ids: list[str]) -> list[str | None]:
    """What the ledger holds for each event id, in the order given."""
    with psycopg.connect(config.database_url.get_secret_value()) as conn:
        rows = dict(conn.execute("SELECT event_id::text, outcome FROM sync.processed_events").fetchall())
    return [rows.get(event_id) for event_id in event_ids]


def test_list_shows_a_keys_parked_events_in_order(
    pushing: Service, producer: EventProducer, drain: Callable[[], Tally], dlq: Dlq
) -> None:
    """A1: `dlq list --key` shows the aim closure parked for its unknown code and the edit behind it, in offset order with their reasons, as a table and as JSON."""
    park_on_unknown_status(pushing, producer, drain, "L-DLQ-LIST")
    code, out, _err = dlq("list", "--key", "L-DLQ-LIST")
    lines = out.strip().splitlines()
    assert code == 0 and len(lines) == 3 and lines[0].startswith("id")
    assert lines[1].endswith(PARKED_A1) and lines[2].endswith(BEHIND)
    rows = listed(dlq, "--key", "L-DLQ-LIST")
    assert [r["reason"] for r in rows] == [PARKED_A1, BEHIND]
    assert [r["error_class"] for r in rows] == ["Park", "ParkedBehind"]
    assert rows[0]["offset"] < rows[1]["offset"]
    assert [r["event_type"] for r in rows] == ["IlrAimClosed", "LearnerEdited"]


def test_redrive_after_the_fix_applies_in_order(
    pushing: Service, producer: EventProducer, drain: Callable[[], Tally], dlq: Dlq, sa: SaSandboxProcess
) -> None:
    """L1: once the cause is fixed (a rule that raised), `dlq redrive --key` applies both edits in order and empties the DLQ."""
    sa_id = park_on_a_bug(pushing, producer, drain, "L-DLQ-GO")
    parked = listed(dlq)
    assert [(r["error_class"], r["reason"]) for r in parked] == [("InjectedFault", FAULT), ("ParkedBehind", BEHIND)]
    code, out, _err = dlq("redrive", "--key", "L-DLQ-GO")
    expected = f"{pushing.config.topic_prefix}pics.learner L-DLQ-GO: redriven 2 (applied 2)"
    assert (code, out.strip().splitlines()[-1]) == (0, expected)
    assert pushing.sa.get_learner(sa_id)["email"] == "second@example.org"
    assert listed(dlq) == []
    assert ledger_outcomes(pushing.config, [r["event_id"] for r in parked]) == ["applied", "applied"]


def test_redrive_by_id_takes_the_whole_key(
    pushing: Service, producer: EventProducer, drain: Callable[[], Tally], dlq: Dlq
) -> None:
    """L1: `dlq redrive --id` of the second parked edit redrives its key from the first, in order."""
    sa_id = park_on_a_bug(pushing, producer, drain, "L-DLQ-ID")
    second = listed(dlq)[1]["id"]
    code, out, _err = dlq("redrive", "--id", str(second), "--json")
    assert code == 0
    [report] = json.loads(out.strip().splitlines()[-1])
    assert (report["key"], report["redriven"], report["applied"], report["still_parked"]) == ("L-DLQ-ID", 2, 2, 0)
    assert pushing.sa.get_learner(sa_id)["email"] == "second@example.org"


def test_redrive_when_the_first_still_fails_keeps_both_in_order(
    pushing: Service, producer: EventProducer, drain: Callable[[], Tally], dlq: Dlq, sa: SaSandboxProcess
) -> None:
    """A1: a redrive whose first event parks again (its code is still unknown) stops there and leaves both parked, in order, exit 1, with no SA write."""
    park_on_unknown_status(pushing, producer, drain, "L-DLQ-STUCK")
    before, written = listed(dlq), sa_writes(sa)
    code, out, _err = dlq("redrive", "--key", "L-DLQ-STUCK")
    assert code == 1
    assert out.strip().endswith(f"redriven 1 (parked 1); parked again: {PARKED_A1}; 2 still parked")
    after = listed(dlq)
    assert [(r["id"], r["reason"]) for r in after] == [(r["id"], r["reason"]) for r in before]
    assert [r["attempts"] for r in after] == [2, 1]
    assert ledger_outcomes(pushing.config, [r["event_id"] for r in after]) == ["parked", "parked"]
    assert sa_writes(sa) == written
    [enrolled] = sa.enrolments()
    assert (enrolled["status"], enrolled["actualEndDate"]) == ("in_training", None)  # never mapped to a status


def test_dry_run_changes_nothing(
    pushing: Service, producer: EventProducer, drain: Callable[[], Tally], dlq: Dlq, sa: SaSandboxProcess
) -> None:
    """`dlq redrive --dry-run` reports what would apply, calls SA for no write and leaves the DLQ as it was."""
    park_on_a_bug(pushing, producer, drain, "L-DLQ-DRY")
    before, written = listed(dlq), sa_writes(sa)
    code, out, _err = dlq("redrive", "--all", "--dry-run")
    assert code == 0 and out.strip().endswith("L-DLQ-DRY: would redrive 2 (applied 2)")
    assert listed(dlq) == before
    assert ledger_outcomes(pushing.config, [r["event_id"] for r in before]) == ["parked", "parked"]
    assert sa_writes(sa) == written and written["PATCH /learners/{id}"] == 0


def test_discard_needs_consent(
    pushing: Service,
    producer: EventProducer,
    drain: Callable[[], Tally],
    dlq: Dlq,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`dlq discard` without --yes and no terminal refuses (exit 2); with --yes it deletes the rows and their ledger marks."""
    park_on_unknown_status(pushing, producer, drain, "L-DLQ-BIN")
    event_ids = [r["event_id"] for r in listed(dlq)]
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, _out, err = dlq("discard", "--key", "L-DLQ-BIN")
    assert code == 2 and "add --yes" in err and len(listed(dlq)) == 2
    assert dlq("discard", "--key", "L-DLQ-BIN", "--yes")[:2] == (0, "discarded 2 parked event(s)\n")
    assert listed(dlq) == [] and ledger_outcomes(pushing.config, event_ids) == [None, None]
    assert dlq("discard", "--key", "L-DLQ-BIN", "--yes")[0] == 1


class Terminal(io.StringIO):
    """Standard input as a person at a terminal types it."""

    def isatty(self) -> bool:
        return True


def test_discard_asks_on_a_terminal(
    pushing: Service,
    producer: EventProducer,
    drain: Callable[[], Tally],
    dlq: Dlq,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`dlq discard` at a terminal lists what matches and deletes only on "y"."""
    park_on_unknown_status(pushing, producer, drain, "L-DLQ-ASK")
    monkeypatch.setattr("sys.stdin", Terminal("n\n"))
    code, out, _err = dlq("discard", "--reason", "Waiting Behind")
    assert code == 1 and BEHIND in out and out.rstrip().endswith("nothing discarded") and len(listed(dlq)) == 2
    monkeypatch.setattr("sys.stdin", Terminal("y\n"))
    code, out, _err = dlq("discard", "--reason", "Waiting Behind")
    assert code == 0 and out.rstrip().endswith("discarded 1 parked event(s)")
    assert [r["reason"] for r in listed(dlq)] == [PARKED_A1]


def test_list_filters_by_reason_and_age(
    pushing: Service, producer: EventProducer, drain: Callable[[], Tally], dlq: Dlq
) -> None:
    """`dlq list` filters by reason (substring, any case) and by age; a bad age exits 2."""
    park_on_unknown_status(pushing, producer, drain, "L-DLQ-AGE")
    with psycopg.connect(pushing.config.database_url.get_secret_value()) as conn:
        conn.execute("UPDATE sync.parked_events SET parked_at = now() - interval '3 days' WHERE reason LIKE 'unknown%'")
    assert [r["reason"] for r in listed(dlq, "--reason", "UNKNOWN COMPLETION")] == [PARKED_A1]
    assert [r["reason"] for r in listed(dlq, "--older-than", "2d")] == [PARKED_A1]
    assert [r["reason"] for r in listed(dlq, "--newer-than", "1h")] == [BEHIND]
    assert listed(dlq, "--reason", "behind", "--older-than", "1d") == []
    assert len(listed(dlq, "--topic", "pics.learner", "--limit", "1")) == 1
    code, _out, err = dlq("list", "--older-than", "2 fortnights")
    assert code == 2 and "bad age '2 fortnights'" in err


def test_show_leaves_personal_fields_out_unless_asked(
    pushing: Service, producer: EventProducer, drain: Callable[[], Tally], dlq: Dlq
) -> None:
    """`dlq show` gives the decoded envelope and the reason; the learner's fields only with --payload."""
    learner = park_on_unknown_status(pushing, producer, drain, "L-DLQ-SHOW")
    first, behind = listed(dlq)
    code, out, _err = dlq("show", str(first["id"]), "--json")
    shown = json.loads(out.strip().splitlines()[-1])
    assert code == 0 and shown["envelope"]["event_id"] == first["event_id"]
    assert shown["reason"] == PARKED_A1 and "payload" not in shown
    assert learner["surname"] not in out and learner["email"] not in out
    code, out, _err = dlq("show", str(first["id"]), "--payload")
    assert code == 0 and learner["email"] in out
    code, out, _err = dlq("show", str(behind["id"]))
    assert code == 0 and "first@example.org" not in out
    code, out, _err = dlq("show", str(behind["id"]), "--payload")
    assert code == 0 and "first@example.org" in out
    code, _out, err = dlq("show", "987654321")
    assert code == 1 and "no parked event with id 987654321" in err


def test_redrive_refuses_while_the_integration_is_off(
    pushing: Service, producer: EventProducer, drain: Callable[[], Tally], dlq: Dlq
) -> None:
    """S1 off: a redrive would skip every parked event, so it refuses (exit 2) and leaves the DLQ alone."""
    park_on_unknown_status(pushing, producer, drain, "L-DLQ-OFF")
    SettingsRepository(pushing.pool).set_many({"Integration Enabled": "off"})
    code, _out, err = dlq("redrive", "--all")
    assert code == 2 and "integration is off (S1)" in err and len(listed(dlq)) == 2
