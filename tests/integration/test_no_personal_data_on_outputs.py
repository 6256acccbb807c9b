"""Scenario: three bad days, and no personal value or secret on stdout, stderr or the JSON log.

Contract (issue #14): whatever goes wrong, a ``pics-sync`` process writes the class of the error and
our own message, never a library's message, another system's free text or a traceback with values.

- A mistyped or unreachable database URL with a password in it: ``run``, ``status`` and ``db migrate``
  exit 2 (a URL psycopg cannot read) or 1 (a server it cannot reach) with one line, the password
  masked or absent, with and without ``--debug``.
- Smart Assessor answers 422 to a learner's create, echoing the date of birth and the phone number
  in its ``code`` and ``field`` and the whole learner in its ``message``: the event parks, and neither
  the consumer's output, ``dlq list``, the parked reason (what the console shows) nor the DLQ topic's
  headers hold any of it.
- A console action hits a database error whose message is PostgreSQL's "Failing row contains (…)"
  with a learner's row: the answer is a 500, the JSON log has one ``http.route_failed`` line by class,
  and uvicorn prints no traceback.

Each process runs as the product does (``python -c 'from consumers.cli import main …'``), at DEBUG
where it logs, with stdout and stderr captured whole.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import Request
from fastapi.responses import JSONResponse, Response
from starlette.middleware.base import RequestResponseEndpoint

from consumers.kafka.clients import ensure_topics
from consumers.kafka.ranges import partitions_of, read_partition, replay_consumer, watermarks
from consumers.ops.dlq_mirror import REASON
from consumers.producer import EventProducer
from consumers.service import Service
from consumers.web.server import HttpServer
from sandbox.sa.app import create_app
from sandbox.sa.config import SandboxConfig
from sync_core.config import RuntimeConfig, TopicLayout, kafka_settings
from sync_core.logs import REDACTED
from sync_core.redaction import fold
from sync_core.state.settings_repo import SettingsRepository
from tests.learners import course, enrolment, new_learner, seed_pics, send
from tests.support import process_env, wait_until

pytestmark = pytest.mark.integration

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PUSH_SETTINGS = {"Integration Enabled": "on", "Update Learner Demographics Mode": "Push PICS Data to Smart Assessor"}
PERSONAL = ("first_name", "surname", "date_of_birth", "ni_number", "email", "phone_number", "mobile_number",
            "address_1", "postcode", "uln")  # fmt: skip
PERSONAL_KEYS = frozenset(map(fold, (*PERSONAL, "firstName", "dateOfBirth", "mobileNumber", "phoneNumber")))
DATABASE_PASSWORD = "Db-pa55word-for-this-test"
CONSOLE_TOKEN = "a-console-token-long-enough-for-the-check-0123456789"
SANDBOX = SandboxConfig()  # the echoing SA's credentials


@dataclass(frozen=True)
class Outputs:
    """What one process wrote, and how it ended."""

    returncode: int | None
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        return [*self.stdout.splitlines(), *self.stderr.splitlines()]

    @property
    def records(self) -> list[dict[str, Any]]:
        """The JSON log records among the lines."""
        return [record for line in self.lines if line.startswith("{") and "event" in (record := json.loads(line))]


def command(*argv: str) -> list[str]:
    return [sys.executable, "-c", f"from consumers.cli import main; raise SystemExit(main({list(argv)!r}))"]


def pics_sync(env: Mapping[str, str], *argv: str) -> Outputs:
    """One ``pics-sync`` command to its end."""
    done = subprocess.run(command(*argv), env=dict(env), cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    return Outputs(done.returncode, done.stdout, done.stderr)


@dataclass
class Running:
    """A long-running ``pics-sync run``; ``stop`` ends it with SIGTERM and returns its outputs."""

    process: subprocess.Popen[bytes]
    folder: Path

    def stop(self) -> Outputs:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=60)
        read = (self.folder / "stdout").read_text(), (self.folder / "stderr").read_text()
        return Outputs(code, *read)

    def alive(self) -> bool:
        return self.process.poll() is None


def start_run(env: Mapping[str, str], folder: Path) -> Running:
    with (folder / "stdout").open("wb") as out, (folder / "stderr").open("wb") as err:
        process = subprocess.Popen(command("run"), env=dict(env), cwd=PROJECT_ROOT, stdout=out, stderr=err)
    return Running(process, folder)


def forms(value: object) -> set[str]:
    """How a value could be written: as is, JSON-escaped, and a date also as repr; 4 characters at least."""
    text = value.isoformat() if isinstance(value, date) else str(value)
    written = {
        text,
        json.dumps(text)[1:-1],
        *([repr(value), value.strftime("%d/%m/%Y")] if isinstance(value, date) else []),
    }
    return {form for form in written if len(form) >= 4}


def leaks(values: Iterable[object], texts: Iterable[str]) -> list[str]:
    """The values found, as whole tokens, in any of ``texts``."""
    found = []
    for text in texts:
        for value in values:
            for form in forms(value):
                if re.search(rf"(?<![A-Za-z0-9]){re.escape(form)}(?![A-Za-z0-9])", text):
                    found.append(f"{form!r} in {text[:300]!r}")
    return found


def unredacted(outputs: Outputs) -> list[tuple[str, str]]:
    """(event, key) of every log record naming a personal field with a value that is not the marker."""

    def walk(node: Any) -> Iterator[tuple[str, Any]]:
        if isinstance(node, Mapping):
            for key, value in node.items():
                yield str(key), value
                yield from walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    return [(r["event"], k) for r in outputs.records for k, v in walk(r) if fold(k) in PERSONAL_KEYS and v != REDACTED]


def assert_clean(outputs: Outputs, values: Iterable[object]) -> None:
    """No value on stdout or stderr (JSON log lines included), and no log record holding a personal field."""
    assert leaks(list(values), [outputs.stdout, outputs.stderr]) == []
    assert unredacted(outputs) == []
    assert "Traceback" not in outputs.stderr or "--debug" in outputs.stderr


# --- 1. A wrong database URL, with its password ---


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("url", "code", "shown"),
    [
        pytest.param(f"postgresq://pics:{DATABASE_PASSWORD}@127.0.0.1/pics", 2,
                     "PICS_SYNC_DATABASE_URL: not a PostgreSQL URL", id="mistyped-scheme-2"),
        pytest.param(f"postgresql://pics:{DATABASE_PASSWORD}@127.0.0.1:{free_port()}/pics", 1,
                     "postgresql://pics:***@127.0.0.1:", id="unreachable-1-masked"),
        pytest.param(f"host=127.0.0.1 port=99999 user=pics password={DATABASE_PASSWORD}", 1,
                     "password=***", id="conninfo-bad-port-1-masked"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("argv", [("run",), ("status",), ("--debug", "db", "migrate")], ids=" ".join)
def test_a_wrong_database_url_is_one_line_without_its_password(
    config: RuntimeConfig, url: str, code: int, shown: str, argv: tuple[str, ...]
) -> None:
    """The process exits 2 or 1 with one line naming the problem; the password is on no stream, not even with --debug."""
    env = process_env(config, PICS_SYNC_DATABASE_URL=url, PICS_SYNC_LOG_LEVEL="DEBUG")
    outputs = pics_sync(env, *argv)
    assert outputs.returncode == code, outputs.stderr[-2000:]
    [line] = [line for line in outputs.stderr.splitlines() if line.startswith("pics-sync: ")]
    assert shown in line
    assert DATABASE_PASSWORD not in outputs.stdout + outputs.stderr
    assert "Traceback" not in outputs.stderr or "--debug" in argv


# --- 2. Smart Assessor refuses a learner, echoing its values ---


def echoing_sa() -> HttpServer:
    """The SA sandbox, except that a learner's create is refused 422 with its values echoed in code, field and message."""
    app = create_app(SANDBOX)

    @app.middleware("http")
    async def refuse_learners(request: Request, call_next: RequestResponseEndpoint) -> Response:
        if (request.method, request.url.path) != ("POST", "/learners"):
            return await call_next(request)
        sent = await request.json()
        dob, phone = sent.get("dateOfBirth"), sent.get("mobileNumber") or sent.get("phoneNumber")
        body = {"code": f"invalid_dateOfBirth_{dob}", "field": f"dateOfBirth={dob};mobileNumber={phone}",
                "message": f"{sent.get('firstName')} {sent.get('surname')} ({dob}, {phone}, {sent.get('email')})"
                           " cannot be enrolled"}  # fmt: skip
        return JSONResponse(body, status_code=422)

    return HttpServer(app, "127.0.0.1", free_port()).start()


def dlq_headers(config: RuntimeConfig, topic: str) -> list[dict[str, str]]:
    """The headers of every message on the DLQ topic."""
    with replay_consumer(kafka_settings(config), f"{config.kafka_group_id}-read-dlq") as consumer:
        marks = watermarks(consumer, topic, partitions_of(consumer, topic))
        copies = [msg for p, span in marks.items() for msg in read_partition(consumer, topic, p, span)]
    return [{name: (value or b"").decode("utf-8", "replace") for name, value in copy.headers} for copy in copies]


def parked_reasons(service: Service) -> list[str]:
    with service.pool.connection() as conn:
        return [row[0] for row in conn.execute("SELECT reason FROM sync.parked_events ORDER BY id")]


def test_an_sa_422_echoing_a_date_of_birth_reaches_no_output(
    config: RuntimeConfig, service: Service, producer: EventProducer, tmp_path: Path
) -> None:
    """The enrolment parks "rejected by Smart Assessor" with SA's code and field scrubbed; no value in the log, dlq list, the reason or the DLQ headers."""
    SettingsRepository(service.pool).set_many(PUSH_SETTINGS)
    learner = new_learner(14, "LEAK0001", date_of_birth=date(2001, 2, 3), mobile_number="07700 900123")
    dlq_topic = "pics-sync.dlq"
    ensure_topics(kafka_settings(config), [config.topic_prefix + dlq_topic], TopicLayout(partitions=1))
    send(producer, learner["learner_ident"], [enrolment(service, learner, [course("Q-LEAK0001")])])
    with echoing_sa() as sa:
        env = process_env(config, PICS_SYNC_SA_BASE_URL=sa.url, PICS_SYNC_SA_USERNAME=SANDBOX.username,
                          PICS_SYNC_SA_PASSWORD=SANDBOX.password, PICS_SYNC_SA_CLIENT_KEY=SANDBOX.client_key,
                          PICS_SYNC_LOG_LEVEL="DEBUG", PICS_SYNC_DLQ_TOPIC=dlq_topic)  # fmt: skip
        consumer = start_run(env, tmp_path)
        try:
            wait_until(lambda: parked_reasons(service) or not consumer.alive(), timeout=90)
        finally:
            outputs = consumer.stop()
    assert parked_reasons(service), outputs.stderr[-3000:]
    listed = pics_sync(env, "dlq", "list", "--json")
    values = [learner[name] for name in PERSONAL if learner.get(name)] + [SANDBOX.password, SANDBOX.client_key]

    [reason] = parked_reasons(service)
    [headers] = wait_until(lambda: dlq_headers(config, config.topic_prefix + dlq_topic))
    assert_clean(outputs, values)
    assert_clean(listed, values)
    assert leaks(values, [reason, *headers.values()]) == []
    assert reason.startswith("rejected by Smart Assessor: Smart Assessor answered 422 to POST /learners")
    assert "invalid_dateOfBirth_[date]" in reason and "[phone]" in reason, reason
    assert listed.returncode == 0 and reason in listed.stdout and headers[REASON] == reason


# --- 3. A console action hits a database error quoting a learner's row ---

AUDIT = """
CREATE TABLE public.learner_audit (
    learner_ident text, first_name text, surname text, date_of_birth date, mobile_number text, email text,
    CHECK (date_of_birth IS NULL)
);
CREATE FUNCTION public.audit_discard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.learner_audit
    SELECT learner_ident, first_name, surname, date_of_birth, mobile_number, email
    FROM pics.learner WHERE learner_ident = OLD.key;
    RETURN OLD;
END $$;
CREATE TRIGGER audit_discard AFTER DELETE ON sync.parked_events FOR EACH ROW EXECUTE FUNCTION public.audit_discard();
"""


def test_a_console_route_hitting_a_database_error_logs_its_class_only(
    config: RuntimeConfig, service: Service, tmp_path: Path
) -> None:
    """A discard whose DELETE fails with "Failing row contains (…)" is a 500 and one http.route_failed line; the row is on no stream."""
    learner = new_learner(15, "LEAK0002", date_of_birth=date(2002, 3, 4), mobile_number="07700 900456")
    seed_pics(service, learner)
    with service.pool.connection() as conn:
        conn.execute(AUDIT.encode())
        parked_id = conn.execute(
            "INSERT INTO sync.parked_events (topic, partition, \"offset\", key, error_class, reason)"
            " VALUES (%s, 0, 1, %s, 'MappingError', 'cannot be mapped') RETURNING id",
            (config.topic_prefix + "pics.learner", learner["learner_ident"]),
        ).fetchone()[0]  # fmt: skip
    with pytest.raises(psycopg.errors.CheckViolation, match="Failing row contains"), service.pool.connection() as conn:
        conn.execute("DELETE FROM sync.parked_events WHERE id = %s", (parked_id,))  # the error is real

    port = free_port()
    env = process_env(config, PICS_SYNC_HTTP_HOST="127.0.0.1", PICS_SYNC_HTTP_PORT=str(port),
                      PICS_SYNC_CONSOLE_TOKEN=CONSOLE_TOKEN, PICS_SYNC_LOG_LEVEL="DEBUG")  # fmt: skip
    consumer = start_run(env, tmp_path)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _answers(url + "/healthz") or not consumer.alive(), timeout=60)
        answer = httpx.post(f"{url}/parked/{parked_id}/discard", data={"token": CONSOLE_TOKEN}, timeout=10)
    finally:
        outputs = consumer.stop()
    values = [learner[name] for name in PERSONAL if learner.get(name)] + [CONSOLE_TOKEN]

    assert "Failing row" not in outputs.stderr and "Exception in ASGI application" not in outputs.stderr
    assert_clean(outputs, values)
    assert answer.status_code == 500 and "Failing row" not in answer.text
    failed = [r for r in outputs.records if r["event"] == "http.route_failed"]
    assert [(r["path"], r["error"]) for r in failed] == [("/parked/{parked_id}/discard", "CheckViolation")]


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False
