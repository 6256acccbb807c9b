"""An unknown PICS_SYNC_* variable stops start-up, naming the nearest valid one (#16)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from sync_core.config import known_variables, load_config, unknown_variables
from sync_core.errors import ConfigurationError

ROOT = Path(__file__).resolve().parents[3]


def test_a_misspelt_variable_is_refused_with_the_name_meant(monkeypatch: pytest.MonkeyPatch) -> None:
    """PICS_SYNC_KAFKA_BOOSTRAP_SERVERS is a start-up error that suggests PICS_SYNC_KAFKA_BOOTSTRAP_SERVERS."""
    monkeypatch.setenv("PICS_SYNC_KAFKA_BOOSTRAP_SERVERS", "broker:9092")
    with pytest.raises(ConfigurationError) as refused:
        load_config()
    assert str(refused.value).splitlines()[1:] == [
        "PICS_SYNC_KAFKA_BOOSTRAP_SERVERS: not a pics-sync variable; did you mean PICS_SYNC_KAFKA_BOOTSTRAP_SERVERS?"
    ]


@pytest.mark.parametrize(
    ("environ", "lines"),
    [
        pytest.param({"PICS_SYNC_SA_PASSWORD_FILE": "/run/s"}, [], id="secret-file-form"),
        pytest.param({"PICS_SYNC_CRASH_AT": "x", "PICS_SYNC_RAISE_IN_RULE": "L1"}, [], id="test-fault-hooks"),
        pytest.param({"PICS_SYNC_DEBUG": "1", "PICS_SYNC_KAFKA_JARS": "/jars"}, [], id="read-outside-the-config"),
        pytest.param({"pics_sync_log_level": "INFO"}, [], id="case-as-pydantic-reads-it"),
        pytest.param({"OTHER_SA_PASSWRD": "x"}, [], id="not-our-prefix"),
        pytest.param({"PICS_SYNC_SA_USERNAME_FILE": "/x"}, ["PICS_SYNC_SA_USERNAME_FILE"], id="not-a-secret-file"),
        pytest.param({"PICS_SYNC_ZZZZZZZZZZ": "x"}, ["PICS_SYNC_ZZZZZZZZZZ: not a pics-sync variable"], id="no-near"),
    ],
)
def test_which_variables_are_refused(environ: dict[str, str], lines: list[str]) -> None:
    """Only PICS_SYNC_* names nothing reads are refused; every line starts with the name."""
    found = unknown_variables(environ)
    assert [line[: len(want)] for line, want in zip(found, lines, strict=True)] == lines


def test_every_variable_the_repository_sets_is_known() -> None:
    """No PICS_SYNC_* name set by CI, tests, deploy manifests or docs is refused (bar the deliberate typos)."""
    listed = subprocess.run(["git", "grep", "-hoE", r"PICS_SYNC_[A-Z0-9_]*[A-Z0-9]"], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout.split()  # fmt: skip
    typos = {"PICS_SYNC_KAFKA_BOOSTRAP_SERVERS", "PICS_SYNC_SA_PASSWRD", "PICS_SYNC_SA_USERNAME_FILE",
             "PICS_SYNC_HTTP_ADDRESS", "PICS_SYNC_TOKEN", "PICS_SYNC_ZZZZZZZZZZ"}  # fmt: skip
    examples = {name for name in listed if re.fullmatch(r"PICS_SYNC_[A-C]", name)}  # a manifest test's own
    groups = {name for name in listed if any(known.startswith(f"{name}_") for known in known_variables())}  # SA_*
    assert set(listed) - known_variables() - typos - examples - groups == set()
