"""Scenario: messages no producer of ours would send land among a learner stream — a 5 MB value of random
bytes, a key holding a NUL byte (PostgreSQL's text cannot hold it), keys that are not UTF-8, and a
5,000-byte key (over what the key indexes take).

Contract: ``pics-sync run``, with its DLQ mirror on, parks each of them and goes on. The 5 MB
garbage parks as ``UndecodableEvent``; each bad key's event, a well-formed LearnerEdited, parks as
``UnusableKey`` with a reason naming what is wrong with the key and the key kept as ``hex:`` and
its bytes (the long one's first ``MAX_KEY_BYTES``), so ``pics-sync dlq list`` shows it and two
different bad keys stay two (``errors="replace"`` made them one lane with each other and with a
clean key). None of them is applied or recorded as
processed. The events around them, of the other learners and in the same partitions, are applied:
SA equals PICS for every learner, the group's committed offsets reach the end of every partition,
and the process is still running. The mirror copies the small parked messages to the DLQ topic;
the 5 MB one is over the producer's ``message.max.bytes`` (1 MB), so it is a ``dlq.mirror_failed``
line and never reaches the worker.

The test broker's limit is Kafka's default (about 1 MB a message); the topic of this test is given
``max.message.bytes`` of 6 MiB, and the test's producer the same, so the 5 MB message is really on
the topic. The broker fixture is unchanged.
"""

from __future__ import annotations

import copy
import json
import random
import string
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, ResourceType

from consumers.kafka.clients import RawProducer
from consumers.kafka.ranges import partitions_of, read_partition, replay_consumer, watermarks
from consumers.service import Service
from sandbox.pics.changes import LEARNER
from sandbox.sa.process import SaSandboxProcess
from sync_core.config import RuntimeConfig, kafka_settings
from sync_core.outcome import Tally
from sync_core.pipeline.keys import MAX_KEY_BYTES, as_bytes, as_text
from sync_core.serde import new_event
from tests.scenarios.world import (
    PROJECT_ROOT,
    ConsumerProcess,
    Scenario,
    assert_in_step,
    assert_order_held,
    backlog,
    enrolled_world,
)
from tests.support import process_env, wait_until

pytestmark = pytest.mark.integration

LEARNERS, EVENTS = 12, 120
HUGE = 5 * 1024 * 1024
LIMIT = str(6 * 1024 * 1024)
DLQ = "pics-sync.dlq"
NOT_UTF8 = "the message key is not valid UTF-8 (kept in hex)"
HOLDS_NUL = "the message key holds a NUL byte (kept in hex)"
TOO_LONG = f"the message key is longer than {MAX_KEY_BYTES} bytes (its start kept in hex)"
BAD_EMAIL = "never-applied@example.org"


def allow_huge_messages(config: RuntimeConfig) -> None:
    """The learner topic of this test takes messages up to ``LIMIT`` bytes (the broker's default is ~1 MB)."""
    admin = AdminClient({"bootstrap.servers": config.kafka_bootstrap_servers})
    entry = ConfigEntry("max.message.bytes", LIMIT, incremental_operation=AlterConfigOpType.SET)
    resource = ConfigResource(ResourceType.TOPIC, config.topic_prefix + LEARNER, incremental_configs=[entry])
    for future in admin.incremental_alter_configs([resource]).values():
        future.result(timeout=30)


def edit_under(scenario: Scenario, ident: str) -> tuple[bytes, str]:
    """A well-formed LearnerEdited of ``ident`` with an email PICS does not hold: (its bytes, its event id)."""
    learner = {**copy.deepcopy(scenario.world.learners[ident]), "email": BAD_EMAIL}
    event = new_event("LearnerEdited", {"learner": learner}, changed_fields=["email"])
    return scenario.service.ports.serde.encode(LEARNER, event), str(event["event_id"])


def send_bad(scenario: Scenario, config: RuntimeConfig) -> dict[str, tuple[str, str | None]]:
    """The bad messages, as they are; the key ``dlq list`` shows → (error class, the event id it carried)."""
    first, second = sorted(scenario.world.learners)[:2]
    sent: dict[str, tuple[str, str | None]] = {}
    producer = RawProducer(kafka_settings(config), **{"message.max.bytes": int(LIMIT)})
    for raw_key in (first.encode() + b"\x00", second.encode() + b"\xff", second.encode() + b"\xfe"):
        data, event_id = edit_under(scenario, first if raw_key.startswith(first.encode()) else second)
        producer.send(config.topic_prefix + LEARNER, raw_key, data)
        sent["hex:" + raw_key.hex()] = ("UnusableKey", event_id)
    long_key = "".join(random.Random(6).choices(string.ascii_letters, k=5000)).encode()  # no compression fits it
    producer.send(config.topic_prefix + LEARNER, long_key, edit_under(scenario, second)[0])
    sent["hex:" + long_key[:MAX_KEY_BYTES].hex() + "…"] = ("UnusableKey", None)
    producer.send(config.topic_prefix + LEARNER, b"SC-GARBAGE", random.Random(5).randbytes(HUGE))
    sent["SC-GARBAGE"] = ("UndecodableEvent", None)
    producer.flush()
    return sent


def run_consumer(config: RuntimeConfig) -> str:
    """``pics-sync run`` with the DLQ mirror, until the group is at the end of every partition; its stderr."""
    consumer = ConsumerProcess(config, PICS_SYNC_DLQ_TOPIC=DLQ)
    try:
        try:
            wait_until(lambda: backlog(config) == 0 or consumer.proc.poll() is not None, timeout=120, interval=0.5)
        except AssertionError as stalled:
            raise AssertionError(f"{stalled}; the consumer's log ends:\n{consumer.stderr()[-6000:]}") from None
        assert consumer.proc.poll() is None, consumer.stderr()[-6000:]  # it outlived every bad message
        assert consumer.stop() == 0, consumer.stderr()[-6000:]
        return consumer.stderr()
    finally:
        consumer.close()


def dlq_list(config: RuntimeConfig) -> list[dict[str, Any]]:
    """``pics-sync dlq list --json`` as an operator runs it."""
    command = [
        sys.executable,
        "-c",
        "from consumers.cli import main; raise SystemExit(main(['dlq', 'list', '--json']))",
    ]
    done = subprocess.run(command, env=process_env(config), cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    listed: list[dict[str, Any]] = json.loads(done.stdout)
    return listed


def mirrored_keys(config: RuntimeConfig) -> list[str | None]:
    """The keys of the copies on the DLQ topic."""
    name = config.topic_prefix + DLQ
    with replay_consumer(kafka_settings(config), f"{config.kafka_group_id}-read-dlq") as consumer:
        spans = watermarks(consumer, name, partitions_of(consumer, name))
        return [d.source.key for p, span in spans.items() for d in read_partition(consumer, name, p, span)]


def ledger_ids(service: Service) -> set[str]:
    """Every event id the ledger holds an outcome for."""
    with service.pool.connection() as conn:
        return {str(row[0]) for row in conn.execute("SELECT event_id FROM sync.processed_events").fetchall()}


def went_on_past(service: Service, row: dict[str, Any]) -> bool:
    """True when an event after the parked ``row``, in its partition, was applied."""
    with service.pool.connection() as conn:
        found = conn.execute(
            "SELECT EXISTS (SELECT 1 FROM sync.processed_events"
            " WHERE topic = %s AND partition = %s AND \"offset\" > %s AND outcome = 'applied')",
            (row["topic"], row["partition"], row["offset"]),
        ).fetchone()
    return bool(found and found[0])


def test_huge_garbage_and_unusable_keys_park_while_the_rest_of_their_partitions_flow(
    service: Service, config: RuntimeConfig, drain: Callable[[], Tally], sa: SaSandboxProcess
) -> None:
    """A 5 MB garbage value, a NUL-byte key and two non-UTF-8 keys park (keys in hex); every other event applies."""
    allow_huge_messages(config)
    scenario = enrolled_world(service, drain, learners=LEARNERS, seed=59, duplicate_share=0.0)
    changes = scenario.changes(EVENTS)
    scenario.send(changes[: EVENTS // 2])
    bad = send_bad(scenario, config)
    scenario.send(changes[EVENTS // 2 :])

    stderr = run_consumer(config)

    listed = dlq_list(config)
    assert {row["key"]: (row["error_class"], row["event_id"]) for row in listed} == {
        key: (error_class, None) for key, (error_class, _event_id) in bad.items()
    }
    reasons = {row["key"]: row["reason"] for row in listed if row["error_class"] == "UnusableKey"}
    assert sorted(reasons.values()) == sorted([HOLDS_NUL, NOT_UTF8, NOT_UTF8, TOO_LONG])
    assert ledger_ids(service).isdisjoint(event_id for _class, event_id in bad.values())  # none applied
    assert all(went_on_past(service, row) for row in listed), listed  # no partition wedged behind one
    assert_in_step(scenario.check(), LEARNERS)
    assert_order_held(service, sa.calls()["log"])

    copied = sorted(as_text(as_bytes(key)) or "" for key in reasons)  # as sent, but only the start of the long key
    assert sorted(k for k in mirrored_keys(config) if k is not None) == copied
    assert "dlq.mirror_failed" in stderr and "too large" in stderr.lower()
