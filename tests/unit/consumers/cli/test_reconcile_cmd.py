"""`pics-sync reconcile report`: its options and how it prints the drift record (D3), no database."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

import pytest

from consumers.cli import main, parser, reconcile_cmd
from consumers.ops.drift_values import Shown
from sync_core.state.drift import DriftCount, DriftRecord

AT = datetime(2025, 3, 1, 2, 15, tzinfo=UTC)
EMAIL = DriftRecord(7, 3, AT, "learner", "L1", "learner:g1", "email", "push", "pushed", "e-1")
DATES = DriftRecord(6, None, AT, "enrolment", "Q1", None, "startDate", "push", "failed", None)


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
