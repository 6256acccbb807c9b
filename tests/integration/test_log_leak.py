"""Scenario: ``pics-sync demo`` logging at DEBUG, on a SASL broker, writes no personal value and no credential.

Contract: whatever the log level, nothing pics-sync writes (stdout, stderr: its JSON log lines,
librdkafka's own lines, the summary) holds a learner's, officer's or employer's personal details
(names, date of birth, ULN, NI number, email, phones, address, postcode, gender, ethnicity,
disability) or a credential it was given (SA password and client key, database URL and password,
Kafka SASL password). A log record may name such a field only with its value redacted.

The demo runs whole, as ``make demo`` does (enrolments, every kind of PICS change, SA compared with
PICS, simulated SA activity, the daily pull, PICS compared with SA), on the session's PostgreSQL,
its own SA sandbox, and a SASL broker of this module. The values looked for are not written here:
they are every value the demo sent through Kafka (PICS's events and the pull's) and every value
left in its PICS tables.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from confluent_kafka import KafkaError, Message, TopicPartition
from psycopg.conninfo import conninfo_to_dict

from consumers.kafka.ranges import partitions_of, replay_consumer, watermarks
from sandbox.sa.config import SandboxConfig
from sandbox.stack.kafka_broker import LocalKafka
from sandbox.stack.local import Stack
from sandbox.stack.postgres import fresh_database
from sync_core.logs import REDACTED
from sync_core.serde import AvroSerde
from tests.support import wait_until

pytestmark = pytest.mark.integration

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LEARNERS, EVENTS = 40, 300  # every kind of change occurs; the demo itself takes ~25 s
KAFKA_USER = "pics-sync-demo"
# The personal fields of PICS's and SA's records (learner, officer, organisation), by schema name.
PERSONAL_FIELDS = frozenset(
    {
        "first_name", "surname", "name", "date_of_birth", "uln", "ni_number", "email", "phone_number",
        "mobile_number", "address_1", "address_2", "address_3", "address_4", "postcode", "gender",
        "ethnicity", "disability",
    }
)  # fmt: skip
# A value is looked for only when it has at least this many characters, and only as a whole token
# (no letter or digit either side). Shorter values — a 2-digit ethnicity code, M/F, Y/N, a name such
# as "Ian" — are indistinguishable from offsets, counts and ordinary words, so matching them would
# fail on every run; those fields are covered instead by the check that no log record holds them
# unredacted. Whole tokens keep a surname such as "Hall" from matching inside another word.
MEANINGFUL = 4


@dataclass(frozen=True)
class DemoRun:
    """What one demo run wrote, and where its data is left."""

    returncode: int
    stdout: str
    stderr: str
    database_url: str
    kafka: dict[str, Any]
    kafka_password: str

    @property
    def lines(self) -> list[str]:
        return [*self.stdout.splitlines(), *self.stderr.splitlines()]

    def summary(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.stdout.strip().splitlines()[-1])
        return result


@pytest.fixture(scope="module")
def kafka_password() -> str:
    """A SASL password made for this run, so nothing can hold it by chance."""
    return secrets.token_urlsafe(18)


@pytest.fixture(scope="module")
def sasl_broker(kafka_password: str) -> Iterator[LocalKafka]:
    """A broker accepting only the demo's SASL/PLAIN login; removed with its data afterwards."""
    with LocalKafka(sasl_users={KAFKA_USER: kafka_password}) as kafka:
        yield kafka


@pytest.fixture(scope="module")
def demo(
    stack: Stack, sasl_broker: LocalKafka, kafka_password: str, tmp_path_factory: pytest.TempPathFactory
) -> DemoRun:
    """``pics-sync demo`` at DEBUG as a process of its own, stdout and stderr captured."""
    password_file = tmp_path_factory.mktemp("secrets") / "kafka-password"
    password_file.write_text(kafka_password)
    database = fresh_database(stack.database_url)
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("PICS_SYNC_")}
    kafka = {
        "PICS_SYNC_KAFKA_BOOTSTRAP_SERVERS": sasl_broker.bootstrap_servers,
        "PICS_SYNC_KAFKA_SECURITY_PROTOCOL": sasl_broker.security_protocol,
        "PICS_SYNC_KAFKA_SASL_MECHANISM": "PLAIN",
        "PICS_SYNC_KAFKA_SASL_USERNAME": KAFKA_USER,
    }
    # No PICS_SYNC_SA_*: the demo starts its own sandbox, so it can simulate activity for the pull.
    env = inherited | kafka | {
        "PICS_SYNC_KAFKA_SASL_PASSWORD_FILE": str(password_file),
        "PICS_SYNC_DATABASE_URL": database,
        "PICS_SYNC_LOG_LEVEL": "DEBUG",
    }  # fmt: skip
    argv = ["demo", "--learners", str(LEARNERS), "--events", str(EVENTS), "--json"]
    command = [sys.executable, "-c", f"from consumers.cli import main; raise SystemExit(main({argv!r}))"]
    done = subprocess.run(command, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    settings = {
        "bootstrap.servers": sasl_broker.bootstrap_servers, "security.protocol": sasl_broker.security_protocol,
        "sasl.mechanism": "PLAIN", "sasl.username": KAFKA_USER, "sasl.password": kafka_password,
    }  # fmt: skip
    return DemoRun(done.returncode, done.stdout, done.stderr, database, settings, kafka_password)


def test_demo_runs_through_sasl_and_logs_each_event_at_debug(demo: DemoRun) -> None:
    """The demo passes end to end (push and pull) on the SASL broker and logs every event, so the log checked is a real one."""
    assert demo.returncode == 0, demo.stderr[-3000:]
    result = demo.summary()
    assert (
        result["pics_learners"] == LEARNERS and result["sa_learners_matching_pics"] == result["sa_learners_total"] > 0
    )
    assert result["pull_events"] > 0 and result["pics_mismatches"] == 0
    processed = [record for record in log_records(demo.lines) if record.get("event") == "event.processed"]
    assert len(processed) >= result["events_produced"] + result["pull_events"]


def test_no_personal_value_in_any_output_line(demo: DemoRun) -> None:
    """No name, date of birth, ULN, NI number, email, phone, address or postcode the demo handled appears in its output."""
    values = gathered_personal_values(demo)
    assert len({v for field, v in values if field == "email"}) >= LEARNERS  # the gathering found the data
    leaks = sorted(
        {(field, n) for field, value in values for form in forms(value) for n in occurrences(form, demo.lines)}
    )
    assert leaks == [], [f"{field} on output line {n}: {demo.lines[n][:200]}" for field, n in leaks[:10]]


def test_no_log_record_holds_a_personal_field_unredacted(demo: DemoRun) -> None:
    """A log record naming a personal field (including the short ones: gender, ethnicity, disability) carries it redacted."""
    unredacted = [
        (record.get("event"), key)
        for record in log_records(demo.lines)
        for key, value in fields_of(record)
        if fold(key) in FOLDED_PERSONAL and value != REDACTED
    ]
    assert unredacted == []


def test_no_credential_in_any_output_line(demo: DemoRun) -> None:
    """Neither the SA password or client key, nor the database URL or password, nor the Kafka SASL password is written."""
    sandbox = SandboxConfig()  # the demo's own sandbox accepts its default credentials
    database_password = conninfo_to_dict(demo.database_url).get("password")
    credentials = {
        "SA password": sandbox.password,
        "SA client key": sandbox.client_key,
        "database URL": demo.database_url,
        "database password": database_password,
        "Kafka SASL password": demo.kafka_password,
    }
    credentials = {name: value for name, value in credentials.items() if value}
    assert all(len(value) >= MEANINGFUL for value in credentials.values())
    written = "\n".join(demo.lines)
    assert [name for name, value in credentials.items() if value in written] == []


# --- Where the personal values come from, and how they are looked for ---


def gathered_personal_values(demo: DemoRun) -> set[tuple[str, object]]:
    """(field, value) of every personal field in every event the demo sent and every PICS row it left."""
    records = [*demo_events(demo.kafka), *pics_rows(demo.database_url)]
    return {(field, value) for record in records for field, value in personal_fields(record)}


def demo_events(kafka: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The payload of every event on the demo's topics: PICS's changes and the daily pull's SA values."""
    with replay_consumer(kafka, f"leak-check-{uuid.uuid4().hex[:8]}") as consumer:
        topics = [t for t in consumer.list_topics(timeout=10).topics if t.startswith("demo-")]
        assert len(topics) == 6, topics  # pics.* and sa.*, of this one run
        spans = {
            (t, p): span for t in topics for p, span in watermarks(consumer, t, partitions_of(consumer, t)).items()
        }
        consumer.assign([TopicPartition(t, p, low) for (t, p), (low, _) in spans.items()])
        read: list[Message] = []

        def read_all() -> bool:  # every partition at once: one by one, each costs a fetch wait
            for msg in consumer.consume(500, timeout=0.2):
                error = msg.error()
                assert error is None or error.code() == KafkaError._PARTITION_EOF, error
                read.extend([msg] if error is None else [])
            return len(read) >= sum(high - low for low, high in spans.values())

        wait_until(read_all, timeout=60, interval=0)
    serde = AvroSerde()
    return [serde.decode(msg.value()).payload for msg in read]


def pics_rows(database_url: str) -> list[Mapping[str, Any]]:
    """Every learner, officer and organisation row of the demo's PICS tables."""
    with psycopg.connect(database_url) as conn:
        return [
            row[0]
            for table in ("learner", "officer", "organisation")
            for row in conn.execute(f"SELECT to_jsonb(t) FROM pics.{table} t")
        ]


def personal_fields(record: Any) -> Iterator[tuple[str, object]]:
    """(field, value) of each non-empty personal field, at any depth."""
    if isinstance(record, Mapping):
        for key, value in record.items():
            if key in PERSONAL_FIELDS and value not in (None, ""):
                yield key, value
            else:
                yield from personal_fields(value)
    elif isinstance(record, list | tuple):
        for item in record:
            yield from personal_fields(item)


def forms(value: object) -> set[str]:
    """The ways a value could be written: as is, JSON-escaped, URL-encoded, and a date also as repr
    (structlog's JSON fallback); only those long enough to mean something (see MEANINGFUL)."""
    text = value.isoformat() if isinstance(value, date) else str(value)
    written = {text, json.dumps(text)[1:-1], quote(text, safe="")} | (
        {repr(value)} if isinstance(value, date) else set()
    )
    return {form for form in written if len(form) >= MEANINGFUL}


def occurrences(form: str, lines: list[str]) -> Iterator[int]:
    """Numbers of the lines holding ``form`` as a whole token."""
    token = re.compile(rf"(?<![A-Za-z0-9]){re.escape(form)}(?![A-Za-z0-9])")
    return (n for n, line in enumerate(lines) if form in line and token.search(line))


def log_records(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """The JSON log records among the output lines."""
    for line in lines:
        if line.startswith("{"):
            record = json.loads(line)
            if isinstance(record, dict) and "event" in record:
                yield record


def fields_of(record: Any) -> Iterator[tuple[str, Any]]:
    """(key, value) of every key of a log record, at any depth."""
    if isinstance(record, Mapping):
        for key, value in record.items():
            yield str(key), value
            yield from fields_of(value)
    elif isinstance(record, list):
        for item in record:
            yield from fields_of(item)


def fold(key: str) -> str:
    """A key with case, dashes and underscores folded: firstName, first_name and FIRST-NAME are one."""
    return re.sub(r"[^a-z0-9]", "", key.lower())


FOLDED_PERSONAL = frozenset(map(fold, PERSONAL_FIELDS))
