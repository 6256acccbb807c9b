"""The README's ``/metrics`` table names exactly the metrics the program exposes, with exactly their labels."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.unit.exported_metrics import exported

README = Path(__file__).resolve().parents[2] / "README.md"
PREFIX = "pics_sync_"
ANCHOR = "- `/metrics` (Prometheus)"
_NAME = re.compile(r"`([a-z_]+)`")
_LABEL = re.compile(r"[a-z_]+")


def documented(readme: str) -> dict[str, frozenset[str]]:
    """The metric table under "`/metrics`" in the README: each name (prefixed as served) and its labels.

    A row's first cell holds one or more backticked names, its second the labels, comma-separated; a name
    without ``pics_sync_`` gets it, but stamina's own (``stamina_…``).
    """
    section = readme.split(ANCHOR, 1)[1].split("\n\n", 2)[1]  # the table after the bullet's line
    rows = [line.strip().strip("|").split("|") for line in section.splitlines() if line.strip().startswith("|")]
    table: dict[str, frozenset[str]] = {}
    for cells in rows[2:]:  # past the header and its rule
        labels = frozenset(_LABEL.findall(cells[1]))
        for name in _NAME.findall(cells[0]):
            table[name if name.startswith(("stamina_", PREFIX)) else PREFIX + name] = labels
    return table


def differences(readme: str) -> list[str]:
    """One line for each metric the README gets wrong: missing, not exposed, or with other labels."""
    table, served = documented(readme), {name: family.labels for name, family in exported().items()}
    found = [f"{name}: exposed, not in the README" for name in sorted(served.keys() - table.keys())]
    found += [f"{name}: in the README, not exposed" for name in sorted(table.keys() - served.keys())]
    return found + [
        f"{name}: README says labels {sorted(table[name])}, exposed with {sorted(served[name])}"
        for name in sorted(table.keys() & served.keys())
        if table[name] != served[name]
    ]


# Until README.md carries the table of /tmp/h16/D-docs.md (issue #16): remove this marker with that edit.
def test_readme_metric_table_is_what_metrics_exposes() -> None:
    """Every metric served is in the README's table with its labels, and the table names nothing else."""
    assert differences(README.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        pytest.param("| `consumer_lag` | topic | x |", "pics_sync_consumer_lag: README says labels", id="wrong-labels"),
        pytest.param("| `made_up_total` | | x |", "pics_sync_made_up_total: in the README, not exposed", id="extra"),
    ],
)
def test_the_comparison_catches_a_wrong_row(row: str, expected: str) -> None:
    """A README row with other labels, or naming a metric that is not served, is reported."""
    readme = README.read_text(encoding="utf-8")
    head, rest = readme.split(ANCHOR, 1)
    intro, table, tail = rest.split("\n\n", 2)
    lines = table.splitlines()
    bad = "\n".join([*lines[:2], "  " + row, *(line for line in lines[2:] if "`consumer_lag`" not in line)])
    found = differences(head + ANCHOR + intro + "\n\n" + bad + "\n\n" + tail)
    assert any(line.startswith(expected) for line in found), found
