"""`pics-sync dlq` against the real broker, real PostgreSQL and the SA sandbox over HTTP.

Contract: parked events are listed in redrive order with their reasons, filtered by key, reason and
age, as a table or JSON; `show` gives the envelope and leaves personal fields out unless asked; a
redrive replays a key's parked events in order through the same handlers and empties the DLQ once
they apply, keeps them all parked in order when the first still fails (X2), and changes nothing as a
dry run; `discard` deletes only with consent.
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
from sandbox.pics.people import People
from sandbox.sa.process import SaSandboxProcess
from sync_core.config import RuntimeConfig
from sync_core.outcome import Kind, Tally
from sync_core.serde import new_event
from sync_core.state.links import LinkRepository
from sync_core.state.settings_repo import SettingsRepository
from tests.support import process_env

pytestmark = pytest.mark.integration

PUSH_SETTINGS = {
    "Integration Enabled": "on",
    "Update Learner Demographics Mode": "Push PICS Data to Smart Assessor",
}
BEHIND = "waiting behind a parked event of this learner"
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


def park_two_edits(producer: EventProducer, drain: Callable[[], Tally], ident: str) -> dict[str, Any]:
    """X2: two edits of a learner not in SA, the first parked as not enrolled and the second behind it."""
    learner = {**People(7).learner(ident), "smart_assessor_id": None}
    for email in ("first@example.org", "second@example.org"):
        edit = new_event("LearnerEdited", {"learner": {**learner, "email": email}}, changed_fields=["email"])
        producer.send("pics.learner", ident, edit)
    producer.flush()
    assert drain().count(Kind.PARKED) == 2
    return learner


def link_in_sa(service: Service, learner: dict[str, Any]) -> str:
    """The learner enrolled in SA after all, and linked as the consumer would have linked it."""
    created = service.sa.create_learner(
        {"misId": learner["learner_ident"], "firstName": learner["first_name"], "surname": learner["surname"]}
    )
    LinkRepository(service.pool).link("learner", learner["learner_ident"], created["id"])
    return str(created["id"])


def ledger_outcomes(config: RuntimeConfig, event_ids: list[str]) -> list[str | None]:
    """What the ledger holds for each event id, in the order given."""
    with psycopg.connect(config.database_url.get_secret_value()) as conn:
        rows = dict(conn.execute("SELECT event_id::text, outcome FROM sync.processed_events").fetchall())
    return [rows.get(event_id) for event_id in event_ids]


def test_list_shows_a_keys_parked_events_in_order(
    pushing: Service, producer: EventProducer, drain: Callable[[], Tally], dlq: Dlq
) -> None:
    """X2: `dlq list --key` shows both parked edits in offset order with their reasons, as a table and as JSON."""
    park_two_edits(producer, drain, "L-DLQ-LIST")
    code, out, _err = dlq("list", "--key", "L-DLQ-LIST")
    lines = out.strip().splitlines()
    assert code == 0 and len(lines) == 3 and lines[0].startswith("id")
    assert lines[1].endswith("not enrolled (X2)") and lines[2].endswith(BEHIND)
    rows = listed(dlq, "--key", "L-DLQ-LIST")
    assert [r["reason"] for r in rows] == ["not enrolled (X2)", BEHIND]
    assert [r["error_class"] for r in rows] == ["Park", "ParkedBehind"]
    assert rows[0]["offset"] < rows[1]["offset"] and {r["event_type"] for r in rows} == {"LearnerEdited"}


def test_redrive_after_linking_applies_in_order(
    pushing: Service, producer: EventProducer, drain: Callable[[], Tally], dlq: Dlq, sa: SaSandboxProcess
) -> None:
    """X2: once the learner is in SA, `dlq redrive --key` applies both edits in order and empties the DLQ."""
    learner = park_two_edits(producer, drain, "L-DLQ-GO")
    event_ids = [r["event_id"] for r in listed(dlq)]
    sa_id = link_in_sa(pushing, learner)
    code, out, _err = dlq("redrive", "--key", "L-DLQ-GO")
    expected = f"{pushing.config.topic_prefix}pics.learner L-DLQ-GO: redriven 2 (applied 2)"
    assert (code, out.strip().splitlines()[-1]) == (0, expected)
    assert pushing.sa.get_learner(sa_id)["email"] == "second@example.org"
    assert listed(dlq) == []
    assert ledger_outcomes(pushing.config, event_ids) == ["applied", "applied"]


def test_redrive_by_id_takes_the_whole_key(
    pushing: Service, producer: EventProducer, drain: Callable[[], Tally], dlq: Dlq
) -> None:
    """X2: `dlq redrive --id` of the second parked edit redrives its key from the first, in order."""
    learner = park_two_edits(producer, drain, "L-DLQ-ID")
    second = listed(dlq)[1]["id"]
    sa_id = link_in_sa(pushing, learner)
    code, out, _err = dlq("redrive", "--id", str(second), "--json")
    assert code == 0
    [report] = json.loads(out.strip().splitlines()[-1])
    assert (report["key"], report["redriven"], report["applied"], report["still_parked"]) == ("L-DLQ-ID", 2, 2, 0)
    assert pushing.sa.get_learner(sa_id)["email"] == "second@example.org"


def test_redrive_when_the_first_still_fails_keeps_both_in_order(
    pushing: Service, producer: EventProducer, drain: Callable[[], Tally], dlq: Dlq, sa: SaSandboxProcess
) -> None:
    """X2: a redrive whose first edit parks again stops there and leaves both parked, in order, exit 1."""
    park_two_edits(producer, drain, "L-DLQ-STUCK")
    before = listed(dlq)
    code, out, _err = dlq("redrive", "--key", "L-DLQ-STUCK")
    assert code == 1
    assert out.strip().endswith("redriven 1 (parked 1); parked again: not enrolled (X2); 2 still parked")
    after = listed(dlq)
    assert [(r["id"], r["reason"]) for r in after] == [(r["id"], r["reason"]) for r in before]
    assert [r["attempts"] for r in after] == [2, 1]
    assert ledger_outcomes(pushing.config, [r["event_id"] for r in after]) == ["parked", "parked"]
    assert sa.calls()["counts"].get("PATCH /learners/{id}", 0) == 0


def test_dry_run_changes_nothing(
    pushing: Service, producer: EventProducer, drain: Callable[[], Tally], dlq: Dlq, sa: SaSandboxProcess
) -> None:
    """`dlq redrive --dry-run` reports what would apply, calls SA for no write and leaves the DLQ as it was."""
    learner = park_two_edits(producer, drain, "L-DLQ-DRY")
    link_in_sa(pushing, learner)
    before = listed(dlq)
    code, out, _err = dlq("redrive", "--all", "--dry-run")
    assert code == 0 and out.strip().endswith("L-DLQ-DRY: would redrive 2 (applied 2)")
    assert listed(dlq) == before
    assert ledger_outcomes(pushing.config, [r["event_id"] for r in before]) == ["parked", "parked"]
    assert sa.calls()["counts"].get("PATCH /learners/{id}", 0) == 0


def test_discard_needs_consent(
    pushing: Service,
    producer: EventProducer,
    drain: Callable[[], Tally],
    dlq: Dlq,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`dlq discard` without --yes and no terminal refuses (exit 2); with --yes it deletes the rows and their ledger marks."""
    park_two_edits(producer, drain, "L-DLQ-BIN")
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
    park_two_edits(producer, drain, "L-DLQ-ASK")
    monkeypatch.setattr("sys.stdin", Terminal("n\n"))
    code, out, _err = dlq("discard", "--reason", "Waiting Behind")
    assert code == 1 and BEHIND in out and out.rstrip().endswith("nothing discarded") and len(listed(dlq)) == 2
    monkeypatch.setattr("sys.stdin", Terminal("y\n"))
    code, out, _err = dlq("discard", "--reason", "Waiting Behind")
    assert code == 0 and out.rstrip().endswith("discarded 1 parked event(s)")
    assert [r["reason"] for r in listed(dlq)] == ["not enrolled (X2)"]


def test_list_filters_by_reason_and_age(
    pushing: Service, producer: EventProducer, drain: Callable[[], Tally], dlq: Dlq
) -> None:
    """`dlq list` filters by reason (substring, any case) and by age; a bad age exits 2."""
    park_two_edits(producer, drain, "L-DLQ-AGE")
    with psycopg.connect(pushing.config.database_url.get_secret_value()) as conn:
        conn.execute("UPDATE sync.parked_events SET parked_at = now() - interval '3 days' WHERE reason LIKE 'not%'")
    assert [r["reason"] for r in listed(dlq, "--reason", "NOT ENROLLED")] == ["not enrolled (X2)"]
    assert [r["reason"] for r in listed(dlq, "--older-than", "2d")] == ["not enrolled (X2)"]
    assert [r["reason"] for r in listed(dlq, "--newer-than", "1h")] == [BEHIND]
    assert listed(dlq, "--reason", "behind", "--older-than", "1d") == []
    assert len(listed(dlq, "--topic", "pics.learner", "--limit", "1")) == 1
    code, _out, err = dlq("list", "--older-than", "2 fortnights")
    assert code == 2 and "bad age '2 fortnights'" in err


def test_show_leaves_personal_fields_out_unless_asked(
    pushing: Service, producer: EventProducer, drain: Callable[[], Tally], dlq: Dlq
) -> None:
    """`dlq show` gives the decoded envelope and the reason; the learner's fields only with --payload."""
    learner = park_two_edits(producer, drain, "L-DLQ-SHOW")
    first = listed(dlq)[0]
    code, out, _err = dlq("show", str(first["id"]), "--json")
    shown = json.loads(out.strip().splitlines()[-1])
    assert code == 0 and shown["envelope"]["event_id"] == first["event_id"]
    assert shown["reason"] == "not enrolled (X2)" and "payload" not in shown
    assert learner["surname"] not in out and "first@example.org" not in out
    code, out, _err = dlq("show", str(first["id"]), "--payload")
    assert code == 0 and "first@example.org" in out
    code, _out, err = dlq("show", "987654321")
    assert code == 1 and "no parked event with id 987654321" in err


def test_redrive_refuses_while_the_integration_is_off(
    pushing: Service, producer: EventProducer, drain: Callable[[], Tally], dlq: Dlq
) -> None:
    """S1 off: a redrive would skip every parked event, so it refuses (exit 2) and leaves the DLQ alone."""
    park_two_edits(producer, drain, "L-DLQ-OFF")
    SettingsRepository(pushing.pool).set_many({"Integration Enabled": "off"})
    code, _out, err = dlq("redrive", "--all")
    assert code == 2 and "integration is off (S1)" in err and len(listed(dlq)) == 2
