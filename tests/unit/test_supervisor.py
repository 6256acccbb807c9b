"""``consumers.supervisor``: members in real processes (trivial ``python -c`` scripts), restarted, stopped, given up on.

Contract: a member that dies unasked is started again (a new pid) after its wait; SIGTERM to the
supervisor reaches every member, and once all have stopped it exits 0; a member that keeps dying
quickly past the cap makes it stop the others and exit 1; SA's budgets are split evenly (the cap
rounded down, never more members than the cap), member I on HTTP port + I.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from consumers import supervisor as supervisor_module
from consumers.cli import main
from consumers.supervisor import (
    GAVE_UP,
    Budget,
    Member,
    RestartPolicy,
    Supervisor,
    budget,
    member_count,
    member_environment,
)
from sync_core.config import RuntimeConfig, load_config
from sync_core.errors import ConfigurationError
from tests.support import wait_until

QUICK = RestartPolicy(first_wait_s=0.05, max_wait_s=0.2, max_restarts=2, healthy_s=5.0)
# Writes its pid on start and "stopped <signal>" on SIGTERM or SIGINT, then exits 0; otherwise runs on.
SERVE = """
import os, signal, sys, time
log = sys.argv[1]
def stop(signum, _frame):
    open(log, "a").write(f"stopped {signum}\\n")
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
open(log, "a").write(f"started {os.getpid()}\\n")
while True:
    time.sleep(0.02)
"""
# Exits 3 at once the first time (no mark yet), then serves as SERVE does.
DIE_ONCE = "import os, sys\nif not os.path.exists(sys.argv[1] + '.died'):\n    open(sys.argv[1] + '.died', 'w')\n" + (
    "    open(sys.argv[1], 'a').write(f'started {os.getpid()}\\n')\n    sys.exit(3)\n" + SERVE
)
CRASH = "import os, sys\nopen(sys.argv[1], 'a').write(f'started {os.getpid()}\\n')\nsys.exit(1)"


def member(index: int, script: str, log: Path) -> Member:
    return Member(index, (sys.executable, "-c", script, str(log)))


def lines(log: Path, word: str) -> list[str]:
    """The lines of a member's log that start with ``word``."""
    return [line for line in log.read_text().splitlines() if line.startswith(word)] if log.exists() else []


InThread = Callable[[Supervisor], tuple[threading.Thread, list[int]]]


@pytest.fixture
def in_thread() -> Iterator[InThread]:
    """Runs ``supervisor.run()`` on a thread, its exit status landing in the list; members left running at the
    end (a failed test) are killed."""
    started: list[Supervisor] = []

    def start(supervisor: Supervisor) -> tuple[threading.Thread, list[int]]:
        status: list[int] = []
        thread = threading.Thread(target=lambda: status.append(supervisor.run()), daemon=True)
        thread.start()
        started.append(supervisor)
        return thread, status

    yield start
    for supervisor in started:
        supervisor.signal(signal.SIGTERM)  # no restart after this
        for pid in supervisor.pids.values():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_a_member_that_dies_is_restarted_with_a_new_pid(tmp_path: Path, in_thread: InThread) -> None:
    """A member exiting 3 unasked is started again (a new pid) while the other runs on undisturbed."""
    dying, steady = tmp_path / "m0.log", tmp_path / "m1.log"
    supervisor = Supervisor([member(0, DIE_ONCE, dying), member(1, SERVE, steady)], QUICK, tick_s=0.02)
    thread, status = in_thread(supervisor)
    wait_until(lambda: len(lines(dying, "started")) == 2 and lines(steady, "started"), timeout=5, interval=0.02)
    pids = [line.split()[1] for line in lines(dying, "started")]
    assert pids[0] != pids[1] and str(supervisor.pids[0]) == pids[1]
    assert len(lines(steady, "started")) == 1
    supervisor.signal(signal.SIGTERM)
    thread.join(5)
    assert status == [0]
    assert lines(dying, "stopped") == lines(steady, "stopped") == [f"stopped {signal.SIGTERM.value}"]


def test_sigterm_to_the_supervisor_reaches_every_member_and_it_exits_0(tmp_path: Path) -> None:
    """A real SIGTERM to the supervisor's process is forwarded to both members; it exits 0 once they stopped."""
    logs = [tmp_path / "m0.log", tmp_path / "m1.log"]
    members = ", ".join(f"Member({i}, (sys.executable, '-c', {SERVE!r}, {str(log)!r}))" for i, log in enumerate(logs))
    script = (
        "import sys\nfrom consumers.supervisor import Member, supervise\nfrom sync_core.logs import configure_logging\n"
        f"configure_logging()\nsys.exit(supervise([{members}]))"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script], stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        wait_until(lambda: all(lines(log, "started") for log in logs), timeout=5, interval=0.02)
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=5)
    finally:
        with contextlib.suppress(ProcessLookupError):  # a failed test: the supervisor and its members
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 0, err
    assert [lines(log, "stopped") for log in logs] == [[f"stopped {signal.SIGTERM.value}"]] * 2
    assert '"event": "supervisor.stopping"' in err and '"reason": "SIGTERM"' in err


def test_a_member_dying_past_the_cap_stops_the_others_and_exits_1(tmp_path: Path, in_thread: InThread) -> None:
    """A crash loop: after max_restarts quick restarts the supervisor gives up, stops the rest, exits 1."""
    crashing, steady = tmp_path / "m0.log", tmp_path / "m1.log"
    supervisor = Supervisor([member(0, CRASH, crashing), member(1, SERVE, steady)], QUICK, tick_s=0.02)
    thread, status = in_thread(supervisor)
    thread.join(5)
    assert status == [GAVE_UP] and GAVE_UP != 0
    assert len(lines(crashing, "started")) == QUICK.max_restarts + 1
    assert lines(steady, "stopped") == [f"stopped {signal.SIGTERM.value}"]


def test_a_member_that_ran_healthy_before_dying_starts_a_new_count(tmp_path: Path, in_thread: InThread) -> None:
    """Deaths each after a healthy run are not a crash loop: restarted past the cap, never given up on."""
    log = tmp_path / "m0.log"
    lived = (
        "import os, sys, time\nopen(sys.argv[1], 'a').write(f'started {os.getpid()}\\n')\ntime.sleep(0.15)\nsys.exit(1)"
    )
    policy = RestartPolicy(first_wait_s=0.01, max_wait_s=0.01, max_restarts=1, healthy_s=0.1)
    supervisor = Supervisor([member(0, lived, log)], policy, tick_s=0.02)
    thread, status = in_thread(supervisor)
    wait_until(lambda: len(lines(log, "started")) >= 4, timeout=5, interval=0.02)
    assert thread.is_alive() and status == []
    supervisor.signal(signal.SIGTERM)
    thread.join(5)
    assert status == [0]


def test_the_wait_before_a_restart_doubles_up_to_its_ceiling() -> None:
    """1, 2, 4 … seconds between quick restarts, never more than max_wait_s."""
    policy = RestartPolicy(first_wait_s=1.0, max_wait_s=10.0)
    assert [policy.wait(streak) for streak in range(1, 7)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


@pytest.mark.parametrize(
    ("cap", "rate", "members", "shares"),
    [
        pytest.param(32, None, 1, [(32, None)], id="one-member-has-it-all"),
        pytest.param(32, 10.0, 4, [(8, 2.5)] * 4, id="even"),
        pytest.param(32, 10.0, 3, [(10, 10 / 3)] * 3, id="cap-rounded-down-rate-exact"),
        pytest.param(5, 1.0, 5, [(1, 0.2)] * 5, id="one-each-at-the-cap"),
    ],
)
def test_sa_budgets_are_divided_evenly_never_past_the_total(
    cap: int, rate: float | None, members: int, shares: list[tuple[int, float | None]]
) -> None:
    """Each member gets the cap divided, rounded down, and the rate divided: together never more than the total."""
    config = RuntimeConfig(sa_max_concurrency=cap, sa_rate_limit_per_s=rate, http_port=9400)
    split = [budget(config, members, i) for i in range(members)]
    assert [(b.sa_max_concurrency, b.sa_rate_limit_per_s) for b in split] == shares
    assert sum(b.sa_max_concurrency for b in split) <= cap
    assert [b.http_port for b in split] == [9400 + i for i in range(members)]


def test_a_member_environment_carries_its_share_and_nothing_it_replaces() -> None:
    """The share's variables replace the inherited ones, whatever their case; the rest is inherited as it was."""
    share = Budget(sa_max_concurrency=8, sa_rate_limit_per_s=None, http_port=0)
    inherited = {"PATH": "/bin", "pics_sync_sa_max_concurrency": "32", "PICS_SYNC_HTTP_PORT": "9400"}
    env = member_environment(inherited, share)
    assert env == {"PATH": "/bin", "PICS_SYNC_SA_MAX_CONCURRENCY": "8", "PICS_SYNC_HTTP_PORT": "0"}


def test_member_count_auto_is_one_a_core_at_most_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    """``auto``: one member a core this process may use, at most the SA cap; an explicit N over the cap is refused."""
    monkeypatch.setattr(supervisor_module, "cores", lambda: 8)
    assert member_count(RuntimeConfig(processes="auto")) == 8
    assert member_count(RuntimeConfig(processes="auto", sa_max_concurrency=4)) == 4
    assert member_count(RuntimeConfig(processes=3), processes=2) == 2  # the command line wins
    with pytest.raises(ConfigurationError, match="5 processes but PICS_SYNC_SA_MAX_CONCURRENCY is 4"):
        member_count(RuntimeConfig(sa_max_concurrency=4), processes=5)
    with pytest.raises(ConfigurationError, match="past 65535"):
        member_count(RuntimeConfig(http_port=65535), processes=2)


@pytest.mark.parametrize(
    ("value", "loaded"),
    [("1", 1), ("4", 4), ("auto", "auto"), ("AUTO", "auto"), ("0", None), ("-2", None), ("two", None), ("2.5", None)],
)
def test_pics_sync_processes_is_a_positive_whole_number_or_auto(
    monkeypatch: pytest.MonkeyPatch, value: str, loaded: int | str | None
) -> None:
    """PICS_SYNC_PROCESSES: 1 or more, or auto; anything else stops start-up with one line naming it."""
    monkeypatch.setenv("PICS_SYNC_PROCESSES", value)
    if loaded is not None:
        assert load_config().processes == loaded
        return
    with pytest.raises(ConfigurationError) as refused:
        load_config()
    assert str(refused.value).splitlines()[1:] == [
        "PICS_SYNC_PROCESSES: Value error, must be a whole number of processes, 1 or more, or auto"
    ]


def test_until_idle_with_several_processes_is_refused_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    """``run --processes 2 --until-idle``: exit 2 and one line, before any member starts."""
    assert main(["run", "--processes", "2", "--until-idle"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "pics-sync: --until-idle drains one process's partitions: run it without --processes"
    ]
