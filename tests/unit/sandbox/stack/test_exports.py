"""`pics-sync sandbox stack`: its export lines carry every credential the stack set, and mask only the operator's."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

import sandbox.stack.local
from consumers.cli import main
from sandbox.sa.config import SandboxConfig
from sandbox.sa.process import SaSandboxProcess
from sandbox.stack.exports import MASKED_NOTE, export_lines
from sandbox.stack.local import Stack

SA = SaSandboxProcess(SandboxConfig(password="pw-not-the-default", client_key="key-not-the-default"), port=8799)
EMBEDDED = "postgresql://postgres@/postgres?host=/tmp/pics-sync-pg-x/data&port=5432"


def sourced(lines: str) -> dict[str, str]:
    """The PICS_SYNC_* variables a POSIX shell holds after running ``lines``."""
    env = subprocess.run(["sh", "-c", 'eval "$1" && env', "sh", lines], capture_output=True, text=True, check=True)
    return dict(line.split("=", 1) for line in env.stdout.splitlines() if line.startswith("PICS_SYNC_"))


def stack_command(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], database_url: str) -> str:
    """What `pics-sync sandbox stack` prints on a stack with ``database_url``; a signal stops it at once."""

    @contextmanager
    def fake_stack(**_: Any) -> Iterator[Stack]:
        yield Stack("127.0.0.1:19092", database_url, SA, SA.base_url)

    monkeypatch.setattr(sandbox.stack.local, "local_stack", fake_stack)
    monkeypatch.setattr(signal, "signal", lambda sig, handler: handler(sig, None))  # "Ctrl-C" as it starts
    assert main(["sandbox", "stack"]) == 0
    return capsys.readouterr().out


def test_sandbox_stack_exports_the_sa_username_password_and_client_key_it_set(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Sourced in a shell, the lines set every SA credential the sandbox checks, so a `run` after them is not
    refused (401); the database the stack started itself is shown whole."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("PICS_SYNC_DATABASE_URL", raising=False)
    variables = sourced(stack_command(monkeypatch, capsys, EMBEDDED))
    assert variables == {
        "PICS_SYNC_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:19092",
        "PICS_SYNC_DATABASE_URL": EMBEDDED,
        "PICS_SYNC_SA_BASE_URL": "http://127.0.0.1:8799",
        "PICS_SYNC_SA_USERNAME": "sandbox",
        "PICS_SYNC_SA_PASSWORD": "pw-not-the-default",
        "PICS_SYNC_SA_CLIENT_KEY": "key-not-the-default",
    }


def test_the_operators_own_database_url_is_shown_with_its_password_masked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """DATABASE_URL is the operator's: its password never reaches the terminal, and a note says so."""
    own = "postgresql://app:s3cret-pw@db.example:5432/pics"
    monkeypatch.setenv("DATABASE_URL", own)
    printed = stack_command(monkeypatch, capsys, own)
    assert "s3cret-pw" not in printed and MASKED_NOTE in printed.splitlines()
    assert sourced(printed)["PICS_SYNC_DATABASE_URL"].startswith("postgresql://app:")


def test_values_a_shell_would_split_are_quoted() -> None:
    """A value with spaces or quotes comes back from the shell as it was."""
    odd = {"PICS_SYNC_SA_PASSWORD": "a b'c\"$d"}
    assert sourced("\n".join(export_lines(odd))) == odd
