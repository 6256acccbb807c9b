"""`pics-sync demo --keep` as a newcomer runs it: progress by phase on stderr, the summary last on stdout, then the
consumers and the console left running on the demo's data, with the URL, a token and the exports to look
around with, until Ctrl-C stops every process it started."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import psutil
import pytest

from consumers.service import sa_client
from sandbox.stack.local import Stack
from sandbox.stack.postgres import fresh_database
from sync_core.config import load_config
from tests.support import wait_until

pytestmark = pytest.mark.integration
CLI = "import sys; from consumers.cli import main; sys.exit(main(sys.argv[1:]))"
PHASES = ("stack", "enrolments", "changes", "pushing", "pull", "checks")


@dataclass
class Running:
    """A child process whose stdout and stderr lines are read as they come."""

    proc: subprocess.Popen[str]
    out: list[str] = field(default_factory=list)
    err: list[str] = field(default_factory=list)

    readers: list[threading.Thread] = field(default_factory=list)

    def __post_init__(self) -> None:
        for stream, lines in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            reader = threading.Thread(target=lambda s=stream, ls=lines: ls.extend(iter(s.readline, "")), daemon=True)
            reader.start()
            self.readers.append(reader)

    def close(self) -> None:
        """After the process ended: the readers done and the pipes closed."""
        for reader in self.readers:
            reader.join(timeout=10)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()

    def said(self, pattern: str) -> str | None:
        """The first group of the first stderr line matching ``pattern``."""
        found = next((m for line in list(self.err) if (m := re.search(pattern, line))), None)
        return None if found is None else found.group(1)


@pytest.fixture
def kept(stack: Stack) -> Iterator[Running]:
    """A small `demo --keep --json` on the session's broker and a fresh database, with a sandbox of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PICS_SYNC_SA_")}
    env |= {"PICS_SYNC_KAFKA_BOOTSTRAP_SERVERS": stack.kafka_bootstrap,
            "PICS_SYNC_DATABASE_URL": fresh_database(stack.database_url), "PYTHONUNBUFFERED": "1"}  # fmt: skip
    argv = [sys.executable, "-c", CLI, "demo", "--keep", "--json", "--learners", "20", "--events", "100"]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    running = Running(proc)
    try:
        yield running
    finally:
        if proc.poll() is None:  # the test failed before its SIGINT: leave nothing behind
            for child in psutil.Process(proc.pid).children(recursive=True):
                child.kill()
            proc.kill()
        proc.wait()
        running.close()


def exports(running: Running) -> dict[str, str]:
    """The variables of the ``export NAME=value`` lines it printed."""
    pairs = (shlex.split(line.strip())[1] for line in list(running.err) if line.strip().startswith("export "))
    return dict(pair.split("=", 1) for pair in pairs)


def status(variables: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`pics-sync status --json` in a shell that has only the printed exports of PICS_SYNC_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PICS_SYNC_")} | variables
    return subprocess.run([sys.executable, "-c", CLI, "status", "--json"], env=env, capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip


def alive(pid: int) -> bool:
    """True when ``pid`` runs (a zombie waiting for its parent does not)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_demo_keep_leaves_the_consumers_and_console_running_until_ctrl_c(
    kept: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Progress by phase with counts on stderr and the JSON summary last on stdout; then the console answers and
    signs in with the printed token, `status` on the printed exports sees the demo's groups live and well, SA
    takes the printed credentials; SIGINT stops every process the demo started, and it exits 0."""
    token = wait_until(lambda: kept.said(r"console token\s+(\S+)") or kept.proc.poll() is not None, timeout=150)
    assert isinstance(token, str), "".join(kept.err)[-3000:]
    console = kept.said(r"console\s+(http://\S+)")
    assert console and len(token) >= 32
    progress_and_summary(kept)
    console_signs_in(console, token)
    variables = exports(kept)
    status_is_live(variables)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with sa_client(load_config()) as sa:
        assert sa.list_courses()  # the printed SA credentials are the sandbox's: no 401

    started = [child.pid for child in psutil.Process(kept.proc.pid).children(recursive=True)]
    assert len(started) >= 3  # the SA sandbox, the push consumer, the PICS updaters
    kept.proc.send_signal(signal.SIGINT)
    assert kept.proc.wait(timeout=60) == 0, "".join(kept.err)[-3000:]
    assert [pid for pid in started if alive(pid)] == []
    assert kept.said(r"demo: (stopping the consumers, the console and the stack)")


def progress_and_summary(kept: Running) -> None:
    """Every phase's line, in order, with counts; the JSON summary still stdout's last line."""
    last = wait_until(lambda: kept.out and kept.out[-1].startswith("{") and kept.out[-1], timeout=5)
    assert json.loads(last)["profiles"]["all-push"]["passed"], last
    said = [m.group(1) for line in kept.err if (m := re.match(r"demo \[\+[\d.]+s\] (\w+): ", line))]
    assert [p for p in PHASES if p in said] == list(PHASES) and said.index("pushing") > said.index("enrolments")
    assert kept.said(r"enrolments: sent \((20 learners in pics), \d+ events\)")
    assert kept.said(r"pushing: drained \((\d+ events, \d+ applied, \d+ skipped, \d+ duplicates, 0 parked)")


def console_signs_in(console: str, token: str) -> None:
    """/healthz and / answer; /login takes the printed token."""
    with httpx.Client(base_url=console, timeout=10) as http:
        assert http.get("/healthz").status_code == 200
        overview = http.get("/")
        assert overview.status_code == 200 and "<html" in overview.text.lower()
        form = http.get("/login")
        csrf = re.search(r'name="csrf" value="([^"]*)"', form.text)
        assert csrf, form.text[:500]
        answer = http.post("/login", data={"csrf": csrf.group(1), "token": token, "next": "/parked"},
                           headers={"Origin": console.rstrip("/")})  # fmt: skip
        assert (answer.status_code, answer.headers.get("location")) == (303, "/parked"), answer.text[:500]


def status_is_live(variables: dict[str, str]) -> None:
    """`status --json` on the printed exports: both of the demo's groups, and nothing needing attention."""
    assert variables["PICS_SYNC_TOPIC_PREFIX"].startswith("demo-")
    assert {"PICS_SYNC_SA_PASSWORD", "PICS_SYNC_SA_CLIENT_KEY", "PICS_SYNC_DATABASE_URL"} <= set(variables)
    group = variables["PICS_SYNC_KAFKA_GROUP_ID"]
    reports: list[dict[str, Any]] = []

    def ok() -> bool:
        ran = status(variables)
        reports.append(json.loads(ran.stdout.strip().splitlines()[-1]) if ran.stdout.strip() else {"err": ran.stderr})
        return ran.returncode == 0 and reports[-1].get("status") == "ok"

    assert wait_until(ok, timeout=40, interval=2), reports[-1:]  # heartbeats come within 5 s of joining
    assert {g["group"] for g in reports[-1]["groups"]} == {group, f"{group}-updaters"}
