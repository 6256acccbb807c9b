"""`pics-sync reconcile` and `reconcile report`: their options, how a run and a dry run (D4) print, and how the
report prints the drift record (D3); no database."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import cast

import pytest

from consumers.cli import main, parser, reconcile_cmd
from consumers.ops.drift_values import Shown
from consumers.ops.reconcile import Predicted
from sync_core.drift.compare import Difference
from sync_core.errors import ConfigurationError
from sync_core.state.drift import DriftCount, DriftRecord

AT = datetime(2025, 3, 1, 2, 15, tzinfo=UTC)
EMAIL = DriftRecord(7, 3, AT, "learner", "L1", "learner:g1", "email", "push", "pushed", "e-1")
DATES = DriftRecord(6, None, AT, "enrolment", "Q1", None, "startDate", "push", "failed", None)
RESUME_ALONE = "--resume carries on the last run over what it covered: no --dry-run, --learner or --entity with it"


def _report_parser() -> argparse.ArgumentParser:
    top = parser()
    reconcile = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction)).choices["reconcile"]
    actions = next(a for a in reconcile._actions if isinstance(a, argparse._SubParsersAction))
    report: argparse.ArgumentParser = actions.choices["report"]
    return report


def test_every_report_option_has_help() -> None:
    """Each option of `reconcile report` says what it does."""
    options = [a for a in _report_parser()._actions if a.option_strings and a.dest != "help"]
    assert {a.dest for a in options} == {"run", "values", "limit", "json"}
    assert all(a.help for a in options)


def test_run_and_values_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    """--values is about one learner across runs: with --run it is refused before anything runs."""
    with pytest.raises(SystemExit) as refused:
        main(["reconcile", "report", "--run", "3", "--values", "L1"])
    assert refused.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["--run", "3x"], "bad --run '3x': a run id (a whole number) or latest", id="run-not-an-id"),
        pytest.param(["--limit", "0"], "--limit must be at least 1, not 0", id="limit-below-one"),
    ],
)
def test_a_bad_value_is_one_line_and_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A bad --run or --limit is refused with one line before the database is opened."""
    assert main(["reconcile", "report", *argv]) == 2
    assert capsys.readouterr() == ("", f"pics-sync: {message}\n")


def test_json_report_names_what_was_found_and_done() -> None:
    """D3: the JSON report is the run, the total, the counts and the records; no value."""
    counts = [DriftCount("enrolment", "startDate", "push", "failed", 1), DriftCount("learner", "email", "push",
                                                                                   "pushed", 2)]  # fmt: skip
    shown = json.loads(json.dumps(reconcile_cmd.report(3, counts, [EMAIL])))
    assert (shown["run"], shown["total"]) == (3, 3)
    assert shown["counts"][1] == {"entity": "learner", "field": "email", "direction": "push", "action": "pushed",
                                  "count": 2}  # fmt: skip
    assert shown["records"] == [{"id": 7, "run_id": 3, "found_at": "2025-03-01T02:15:00+00:00", "entity": "learner",
                                 "pics_id": "L1", "sa_resource": "learner:g1", "field": "email", "direction": "push",
                                 "action": "pushed", "event_id": "e-1"}]  # fmt: skip


def test_text_report_counts_then_records_and_says_when_more_are_recorded() -> None:
    """D3: the counts table, then the newest records, with a hint when --limit cut the list."""
    counts = [DriftCount("learner", "email", "push", "pushed", 5)]
    text = reconcile_cmd.report_text(None, counts, [EMAIL, DATES])
    lines = text.splitlines()
    assert lines[0] == "differences found, every run and refresh: 5"
    assert lines[2].split() == ["learner", "email", "push", "pushed", "5"]
    assert lines[3] == "records, newest first: 2 of 5 (--limit lists more)"
    assert lines[5].split() == ["7", "2025-03-01", "02:15:00", "3", "learner", "L1", "learner:g1", "email", "push",
                                "pushed", "e-1"]  # fmt: skip
    assert lines[6].split()[-5:] == ["-", "startDate", "push", "failed", "-"]
    assert reconcile_cmd.report_text(4, [], []) == "differences found in run 4\n  none recorded"


def test_values_are_marked_as_personal_data() -> None:
    """D3: --values opens with the personal-data line, gives both values, and says why one could not be read."""
    shown = [Shown(EMAIL, "a@pics.example", "b@sa.example"),
             Shown(DATES, None, None, "not pushed under the current settings", "no SA record")]  # fmt: skip
    text = reconcile_cmd.values_text("L1", shown)
    assert text.startswith(reconcile_cmd.PERSONAL + "\n")
    cells = [[cell.strip() for cell in line.split("  ") if cell.strip()] for line in text.splitlines()[3:]]
    assert cells[0][-2:] == ['"a@pics.example"', '"b@sa.example"']
    assert cells[1][-2:] == ["(not pushed under the current settings)", "(no SA record)"]
    as_json = reconcile_cmd.values("L1", shown)
    assert (as_json["personal_data"], as_json["values"][0]["pics"], as_json["values"][0]["sa"]) == (
        True, "a@pics.example", "b@sa.example")  # fmt: skip


def _reconcile_parser() -> argparse.ArgumentParser:
    top = parser()
    found = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction)).choices["reconcile"]
    return cast(argparse.ArgumentParser, found)


def test_every_reconcile_option_has_help() -> None:
    """Each option of `reconcile` says what it does; --entity takes the three entities only."""
    options = [a for a in _reconcile_parser()._actions if a.option_strings and a.dest != "help"]
    assert {a.dest for a in options} == {"dry_run", "learner", "entity", "resume", "concurrency", "chunk", "json"}
    assert all(a.help for a in options)
    assert next(a for a in options if a.dest == "entity").choices == ("learners", "employers", "assessors")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["--resume", "--dry-run"], RESUME_ALONE, id="resume-no-dry-run"),
        pytest.param(["--resume", "--entity", "employers"], RESUME_ALONE, id="resume-keeps-its-entities"),
        pytest.param(["--resume", "--learner", "L1"], RESUME_ALONE, id="resume-keeps-its-learner"),
        pytest.param(["--dry-run", "--concurrency", "0"], "--concurrency must be at least 1, not 0", id="concurrency"),
        pytest.param(["--chunk", "0"], "--chunk must be at least 1, not 0", id="chunk"),
    ],
)
def test_a_bad_run_option_is_one_line_and_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A conflicting or bad option of a run is refused with one line before the database is opened."""
    assert main(["reconcile", *argv]) == 2
    assert capsys.readouterr() == ("", f"pics-sync: {message}\n")


FOUND = [
    Predicted("learners", "L1", (Difference("learner", "learner:g1", "L1", "email", "push", "would push"),)),
    Predicted("employers", "ORG1", (Difference("employer", "employer:77", "ORG1", "name", "push", "would push"),)),
    Predicted("employers", "ORG2", not_compared="employer details are not pushed under the settings (G1)"),
    Predicted("assessors", "OFF1"),
]


def test_dry_run_json_lists_each_write_by_record_and_field() -> None:
    """D4: the records compared by entity, each write a real run would make with its record, and what was not
    compared and why; names only, no value."""
    shown = json.loads(json.dumps(reconcile_cmd.dry_run(FOUND)))
    assert (shown["records"], shown["learners"], shown["employers"], shown["assessors"]) == (4, 1, 2, 1)
    assert shown["differences"][1] == {"kind": "employer", "record": "ORG1", "entity": "employer",
                                       "sa_resource": "employer:77", "pics_id": "ORG1", "field": "name",
                                       "direction": "push", "action": "would push"}  # fmt: skip
    assert shown["not_compared"] == [{"kind": "employer", "record": "ORG2",
                                      "reason": "employer details are not pushed under the settings (G1)"}]  # fmt: skip


def test_dry_run_text_is_figures_then_writes_then_what_was_not_compared() -> None:
    """D4: one line of figures, the table of writes per record and field, then a line per record not compared."""
    lines = reconcile_cmd.dry_run_text(FOUND).splitlines()
    assert lines[0] == ("dry run: 4 record(s) compared with SA (1 learner(s), 2 employer(s), 1 assessor(s)), "
                        "2 write(s) a real run would make")  # fmt: skip
    assert lines[3].split() == ["employer", "ORG1", "employer", "employer:77", "name", "push", "would", "push"]
    assert lines[-1] == "  employer ORG2: not compared: employer details are not pushed under the settings (G1)"


def test_a_real_run_says_its_run_and_where_to_see_what_it_found() -> None:
    """A real run prints its run id, the requests sent by entity and the report command for that run."""
    summary = {"run_id": 12, "status": "succeeded", "resumed": True, "records": 5, "reconcile_requested": 3,
               "reconcile_requested_employers": 1, "reconcile_requested_assessors": 1}  # fmt: skip
    text = reconcile_cmd.run_text(summary)
    assert (
        text.splitlines()[0]
        == "reconcile run 12 (resumed): 5 request(s) sent: 3 learner(s), 1 employer(s), 1 assessor(s)"
    )
    assert "`pics-sync reconcile report --run 12`" in text
    assert reconcile_cmd.run_text({"run_id": 9, "status": "nothing to resume"}) == (
        "no reconcile run to resume: the last, run 9, finished"
    )


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("argv", "tty", "progress"),
    [
        pytest.param([], True, True, id="a-person-at-a-terminal"),
        pytest.param(["--dry-run", "--json"], True, False, id="json-is-for-a-program"),
        pytest.param(["--dry-run"], False, False, id="not-a-terminal"),
    ],
)
def test_the_progress_bar_is_for_a_terminal_only(
    argv: list[str], tty: bool, progress: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the pull's: a progress bar on stderr when it is a terminal, none with --json or when piped."""
    monkeypatch.setattr(sys, "stderr", _Tty() if tty else io.StringIO())
    options = reconcile_cmd.run_options(parser().parse_args(["reconcile", *argv, "--concurrency", "4"]))
    assert (options.progress, options.concurrency, options.chunk) == (progress, 4, 500)


def test_the_dry_run_is_paced_by_the_consumers_token_bucket(monkeypatch: pytest.MonkeyPatch) -> None:
    """The dry run's SA reads go through the service's SA client paced as the consumer's is (PICS_SYNC_SA_RATE_LIMIT_PER_S)."""
    opened: dict[str, object] = {}

    def open_service(_config: object, **how: object) -> None:
        opened.update(how)
        raise ConfigurationError("stopped here")

    monkeypatch.setattr(reconcile_cmd, "load_config", lambda: SimpleNamespace(log_level="WARNING"))
    monkeypatch.setattr(reconcile_cmd, "configure_logging", lambda _level: None)
    monkeypatch.setattr(reconcile_cmd, "open_service", open_service)
    assert main(["reconcile", "--dry-run", "--json"]) == 2
    assert opened == {"paced": True}


@pytest.mark.parametrize("argv", [pytest.param([], id="real-run"), pytest.param(["--dry-run"], id="dry-run")])
def test_with_the_integration_off_nothing_is_compared_or_sent(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """S1 off: the consumer would skip every request, so a run sends none and a dry run predicts no write."""
    settings = SimpleNamespace(integration_enabled=False)
    service = SimpleNamespace(ports=SimpleNamespace(settings=lambda: settings))
    monkeypatch.setattr(reconcile_cmd, "load_config", lambda: SimpleNamespace(log_level="WARNING"))
    monkeypatch.setattr(reconcile_cmd, "configure_logging", lambda _level: None)
    monkeypatch.setattr(reconcile_cmd, "open_service", lambda _config, **_how: contextlib.nullcontext(service))
    monkeypatch.setattr(reconcile_cmd.reconcile, "start", lambda *_: pytest.fail("a run was started"))
    monkeypatch.setattr(reconcile_cmd.reconcile, "targets", lambda *_: pytest.fail("records were compared"))

    assert main(["reconcile", *argv, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"status": "skipped", "reason": "integration disabled (S1)"}
