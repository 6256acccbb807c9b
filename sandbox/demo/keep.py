"""``demo --keep``: after the summary, the push consumer, the PICS updaters and the console run on, on the
demo's stack and the first profile's topics, group and database, until SIGINT or SIGTERM.

The two consumers are ``pics-sync run`` child processes (``--side push`` serves the console, ``--side pull``
no HTTP port) in sessions of their own, so a terminal's Ctrl-C reaches only this process, which stops them
first (each commits what it finished) and then returns, so the stack under them stops last. They log at
WARNING unless PICS_SYNC_LOG_LEVEL says otherwise, onto stderr, so stdout keeps the summary. The console
token is generated here, 32 random bytes (PICS_SYNC_CONSOLE_TOKEN asks for at least 32 characters), and
printed with the console's URL and the exports for ``pics-sync status``; if a consumer stops on its own,
everything stops and the exit code says so.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TextIO

import httpx

from sandbox.stack.exports import export_lines, stack_variables
from sandbox.stack.local import Stack
from sync_core.config import RuntimeConfig

READY_S = 90.0  # the console answers once the push consumer has joined its group and bound its port
STOP_S = 30.0  # a consumer's revoke and final commit; killed after that
_CLI = "import sys; from consumers.cli import main; sys.exit(main(sys.argv[1:]))"


def keep_running(stack: Stack, config: RuntimeConfig, out: TextIO = sys.stderr) -> int:
    """The consumers and the console until a signal: 0 then, 1 if one of them stopped or never answered."""
    token, port = secrets.token_urlsafe(32), _free_port()
    values = profile_variables(stack, config)
    stop = threading.Event()
    with _on_signals(stop), _consumers(values, token, port) as children:
        console = f"http://127.0.0.1:{port}/"
        if not _ready(console + "healthz", children, stop):
            print("demo: the console did not answer; stopping everything", file=out, flush=True)
            return 1
        print(*kept_lines(console, token, values), sep="\n", file=out, flush=True)
        code = _watch(children, stop, out)
        print("demo: stopping the consumers, the console and the stack…", file=out, flush=True)
    return code


def profile_variables(stack: Stack, config: RuntimeConfig) -> dict[str, str]:
    """What reaches the stack, on the profile's database, topics and groups."""
    return stack_variables(stack) | {
        "PICS_SYNC_DATABASE_URL": config.database_url.get_secret_value(),
        "PICS_SYNC_TOPIC_PREFIX": config.topic_prefix,
        "PICS_SYNC_KAFKA_GROUP_ID": config.kafka_group_id,
    }


def kept_lines(console: str, token: str, values: Mapping[str, str]) -> list[str]:
    """What a newcomer needs next: the console, its token, and the exports for ``pics-sync status``."""
    return [
        "demo: still running: the push consumer, the PICS updaters and the console (Ctrl-C stops everything)",
        f"  console        {console}",
        f"  console token  {token}",
        "  (reading needs nothing; sign in at /login with the token to redrive or discard)",
        "  for `pics-sync status` (or `dlq list`, `run`) in another terminal:",
        *(f"    {line}" for line in export_lines(values)),
    ]


@contextmanager
def _consumers(values: Mapping[str, str], token: str, port: int) -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    """``run --side push`` with the console on ``port`` and ``run --side pull``; stopped on exit."""
    env = os.environ | dict(values) | {"PICS_SYNC_LOG_LEVEL": os.environ.get("PICS_SYNC_LOG_LEVEL", "WARNING")}
    sides = {
        "push": {
            "PICS_SYNC_HTTP_HOST": "127.0.0.1",
            "PICS_SYNC_HTTP_PORT": str(port),
            "PICS_SYNC_CONSOLE_TOKEN": token,
        },
        "pull": {"PICS_SYNC_HTTP_PORT": "0"},
    }
    children: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for side, own in sides.items():
            command = [sys.executable, "-c", _CLI, "run", "--side", side]
            children[side] = subprocess.Popen(command, env=env | own, stdout=2, start_new_session=True)  # 2: stderr
        yield children
    finally:
        _stop(children)


def _ready(url: str, children: dict[str, subprocess.Popen[bytes]], stop: threading.Event) -> bool:
    """True once ``url`` answers 200; False when a child exits, a signal comes, or READY_S passes."""
    deadline = time.monotonic() + READY_S
    while time.monotonic() < deadline and not stop.is_set() and all(c.poll() is None for c in children.values()):
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return True
        except httpx.HTTPError:
            pass  # not listening yet
        stop.wait(0.5)
    return False


def _watch(children: dict[str, subprocess.Popen[bytes]], stop: threading.Event, out: TextIO) -> int:
    """Wait for a signal (0), or for a child to stop on its own (1)."""
    while not stop.wait(0.5):
        for side, child in children.items():
            if child.poll() is not None:
                print(f"demo: `pics-sync run --side {side}` stopped (exit {child.returncode})", file=out, flush=True)
                return 1
    return 0


def _stop(children: dict[str, subprocess.Popen[bytes]]) -> None:
    """SIGTERM to each (a clean stop and commit), then wait; kill whichever lingers past STOP_S."""
    for child in children.values():
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + STOP_S
    for child in children.values():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


@contextmanager
def _on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT and SIGTERM set ``stop`` for the body; the handlers before are back after it."""
    before = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)


def _free_port() -> int:
    """A loopback port nothing listens on now, for the console."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
