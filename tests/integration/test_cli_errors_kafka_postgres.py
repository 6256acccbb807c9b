"""What a real ``pics-sync`` process says when its database or broker is away, or its reader leaves (#16).

Contract: with the database or the broker down, a command ends in one ``pics-sync: <Class>: <our words>``
line and no traceback, and librdkafka writes no raw ``%3|…|FAIL|`` line; ``status --json`` prints
exactly one JSON object whatever happens, naming the failure; ``status`` migrates nothing, so it runs
under a read-only database user; ``replay --verbose`` whose reader closes early (``| head``) ends
quietly.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Mapping
from pathlib import Path

import psycopg
import pytest

from consumers.producer import EventProducer
from sandbox.stack.local import Stack
from sandbox.stack.postgres import fresh_database
from sync_core.config import RuntimeConfig
from sync_core.serde import new_event
from tests.learners import new_learner
from tests.support import process_env

pytestmark = pytest.mark.integration

PICS_SYNC = str(Path(sys.executable).parent / "pics-sync")  # the console script, as an operator runs it
DOWN_DATABASE = "postgresql://nobody@127.0.0.1:1/none"
DOWN_BROKER = "127.0.0.1:1"


def pics_sync(env: Mapping[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    """One ``pics-sync`` process to its end."""
    return subprocess.run([PICS_SYNC, *argv], env=dict(env), capture_output=True, text=True, timeout=180)


def raw_librdkafka(stderr: str) -> list[str]:
    """librdkafka's own lines, as it writes them when no logger is set: ``%3|1796…|FAIL|rdkafka#…``."""
    return [line for line in stderr.splitlines() if line.startswith("%")]


def one_json_object(stdout: str) -> dict[str, object]:
    """stdout is exactly one line holding one JSON object."""
    [line] = stdout.splitlines()
    found = json.loads(line)
    assert isinstance(found, dict)
    return found


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(("dlq", "list"), id="dlq-list"),
        pytest.param(("settings", "show"), id="settings-show"),
        pytest.param(("status",), id="status"),
    ],
)
def test_a_wrong_database_url_is_one_line(config: RuntimeConfig, argv: tuple[str, ...]) -> None:
    """A database that does not answer: one ``DatabaseUnavailable`` line, exit 1, no traceback."""
    done = pics_sync(process_env(config, PICS_SYNC_DATABASE_URL=DOWN_DATABASE), *argv)
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith("pics-sync: DatabaseUnavailable: ") and "Traceback" not in done.stderr


def test_status_json_is_one_object_naming_the_database_down(config: RuntimeConfig) -> None:
    """``status --json`` with the database down: one JSON object, status error, DatabaseUnavailable; exit 1."""
    done = pics_sync(process_env(config, PICS_SYNC_DATABASE_URL=DOWN_DATABASE), "status", "--json")
    found = one_json_object(done.stdout)
    assert (done.returncode, found["status"], found["error"]) == (1, "error", "DatabaseUnavailable")
    assert done.stderr == ""


def test_status_with_the_broker_down_is_a_report_without_raw_librdkafka_lines(config: RuntimeConfig) -> None:
    """The broker down: ``status --json`` is one report naming Kafka unreadable, and librdkafka's log is ours."""
    done = pics_sync(process_env(config, PICS_SYNC_KAFKA_BOOTSTRAP_SERVERS=DOWN_BROKER), "status", "--json")
    found = one_json_object(done.stdout)
    assert done.returncode == 1 and any("Kafka unreadable" in reason for reason in found["reasons"])  # type: ignore[attr-defined]
    assert raw_librdkafka(done.stderr) == []
    assert all(json.loads(line)["event"].startswith("kafka.") for line in done.stderr.splitlines())


def test_run_with_the_broker_down_is_one_line_without_raw_librdkafka_lines(config: RuntimeConfig) -> None:
    """``run`` against a broker that is down ends in one KafkaException line naming the variable, no traceback."""
    done = pics_sync(process_env(config, PICS_SYNC_KAFKA_BOOTSTRAP_SERVERS=DOWN_BROKER), "run")
    assert done.returncode == 1 and raw_librdkafka(done.stderr) == [] and "Traceback" not in done.stderr
    last = done.stderr.splitlines()[-1]
    assert last.startswith("pics-sync: KafkaException: Kafka: ") and "PICS_SYNC_KAFKA_BOOTSTRAP_SERVERS" in last
    assert len(done.stderr.splitlines()) <= 10  # a few de-duplicated kafka.* lines, not 580


def _read_only_user(url: str) -> str:
    """A login that may read the sync and pics schemas and change nothing; its URL."""
    role = f"reader_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'reader'")
        for schema in ("sync", "pics"):
            conn.execute(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
            conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role}")
    info = psycopg.conninfo.conninfo_to_dict(url)
    return psycopg.conninfo.make_conninfo(**{**info, "user": role, "password": "reader"})


def test_status_runs_under_a_read_only_database_user(config: RuntimeConfig, stack: Stack) -> None:
    """``status`` runs no migration: a user with SELECT only gets the report, not a refused CREATE."""
    url = fresh_database(stack.database_url)  # migrated by its owner
    done = pics_sync(process_env(config, PICS_SYNC_DATABASE_URL=_read_only_user(url)), "status", "--json")
    assert one_json_object(done.stdout)["status"] in ("ok", "attention"), done.stderr


def test_status_migrates_nothing(config: RuntimeConfig, stack: Stack) -> None:
    """An empty database stays empty: status names ``pics-sync db migrate`` instead of migrating it."""
    url = fresh_database(stack.database_url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA sync CASCADE")
    done = pics_sync(process_env(config, PICS_SYNC_DATABASE_URL=url), "status")
    assert done.returncode == 2 and "pics-sync db migrate" in done.stderr
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname = 'sync'").fetchone() == (0,)


def test_replay_verbose_whose_reader_leaves_ends_quietly(config: RuntimeConfig, producer: EventProducer) -> None:
    """``replay --dry-run --verbose | head -1``: no BrokenPipeError on stderr (its progress only), the shell's 141."""
    for n in range(400):  # more than a pipe's buffer of lines, so the reader leaves while replay still writes
        producer.send("pics.learner", f"L{n}", new_event("LearnerEnrolled", {"learner": new_learner(n, f"L{n}"),
                      "placement": None, "officers": [], "qualifications": []}))  # fmt: skip
    producer.flush()
    argv = ("replay", "--topic", "pics.learner", "--from", "earliest", "--dry-run", "--verbose")
    child = subprocess.Popen(
        [PICS_SYNC, *argv], env=process_env(config), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert child.stdout is not None and child.stderr is not None
    assert child.stdout.readline()
    child.stdout.close()
    with child.stderr:
        said = child.stderr.read().decode()
    assert child.wait(timeout=120) == 141
    assert "BrokenPipe" not in said and "Traceback" not in said and "Exception ignored" not in said
