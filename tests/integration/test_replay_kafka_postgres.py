"""Replay through the real broker, real PostgreSQL and the SA sandbox over HTTP.

Contract: a replay reads its range with a group of its own and leaves the live group's offsets as
they were; events the live group already applied make no SA write (ledger, X1); ``--force`` pushes
them again, one PATCH per learner because a run of edits is coalesced to its last after-image;
``--dry-run`` reports the writes and makes none; ``--keys`` and ``--from`` narrow the range.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from consumers.cli import replay_cmd
from consumers.kafka.ranges import committed_offsets
from consumers.ops.replay import ReplayOptions, Summary, replay
from consumers.producer import EventProducer
from consumers.service import Service
from sandbox.pics.people import People
from sandbox.sa.process import SaSandboxProcess
from sync_core.config import RuntimeConfig
from sync_core.errors import ConfigurationError
from sync_core.outcome import Tally
from sync_core.pipeline.process import RunMode
from sync_core.rules.learner import pushed_fields
from sync_core.serde import new_event
from sync_core.state.settings_repo import SettingsRepository
from tests.support import process_env

pytestmark = pytest.mark.integration

PUSH_SETTINGS = {
    "Integration Enabled": "on",
    "Update Learner Demographics Mode": "Push PICS Data to Smart Assessor",
}
EDITS = 4  # per learner
STALE = {"email": "stale@example.org", "postcode": "ZZ9 9ZZ"}


def writes(sa: SaSandboxProcess) -> int:
    """SA write calls so far (POST, PUT, PATCH, DELETE; not the sign-in a read needs too)."""
    counts: dict[str, int] = sa.calls()["counts"]
    return sum(n for call, n in counts.items() if not call.startswith("GET") and call != "POST /auth/token")


@pytest.fixture
def pushing(service: Service) -> Service:
    SettingsRepository(service.pool).set_many(PUSH_SETTINGS)
    return service


def edited(pushing: Service, producer: EventProducer, ident: str, seed: int) -> tuple[str, dict[str, Any]]:
    """A learner in SA and ``EDITS`` edits of it on pics.learner; (SA id, the last after-image)."""
    people = People(seed)
    learner = people.learner(ident)
    created = pushing.sa.create_learner(
        {"misId": ident, "firstName": learner["first_name"], "surname": learner["surname"]}
    )
    learner = {**learner, "smart_assessor_id": created["id"]}
    for n in range(EDITS):
        learner, changed = people.edit({**learner, "email": f"{ident.lower()}.{n}@example.org"})
        producer.send("pics.learner", ident, new_event("LearnerEdited", {"learner": learner}, changed_fields=changed))
    producer.flush()
    return str(created["id"]), learner


@pytest.fixture
def applied(
    pushing: Service, producer: EventProducer, drain: Callable[[], Tally]
) -> dict[str, tuple[str, dict[str, Any]]]:
    """Two learners' edits, applied by the live group; ident → (SA id, last after-image)."""
    learners = {ident: edited(pushing, producer, ident, seed) for seed, ident in enumerate(("L-RP-1", "L-RP-2"), 1)}
    drain()
    return learners


def made_stale(pushing: Service, *sa_ids: str) -> None:
    """SA lost the pushed values: these learners hold older ones."""
    for sa_id in sa_ids:
        pushing.sa.update_learner(sa_id, STALE)


def holds_latest(pushing: Service, sa_id: str, learner: dict[str, Any]) -> bool:
    expected = pushed_fields(learner, pushing.ports.settings())
    held = pushing.sa.get_learner(sa_id)
    return {k: held[k] for k in expected} == expected


def run_on(config: RuntimeConfig, pushing: Service, logical: str, **options: Any) -> Summary:
    return replay(config, pushing.ports, ReplayOptions(logical, progress=False, **options))


def run(config: RuntimeConfig, pushing: Service, **options: Any) -> Summary:
    return run_on(config, pushing, "pics.learner", **options)


def cli(
    config: RuntimeConfig, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str
) -> tuple[dict[str, Any], list[str]]:
    """``pics-sync replay … --json`` in this process: (the summary on the last line, the lines before it)."""
    for name, value in process_env(config).items():
        if name.startswith("PICS_SYNC_"):
            monkeypatch.setenv(name, value)
    top = argparse.ArgumentParser()
    replay_cmd.register(top.add_subparsers(dest="command", required=True))
    args = top.parse_args(["replay", "--topic", "pics.learner", *argv, "--json"])
    assert args.handler(args) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    return json.loads(lines[-1]), lines[:-1]


def test_replay_of_applied_events_writes_nothing(
    config: RuntimeConfig, pushing: Service, applied: dict[str, Any], sa: SaSandboxProcess
) -> None:
    """Events the live group applied are duplicates: the replay and its dry run make no SA write."""
    before = writes(sa)
    dry = run(config, pushing, mode=RunMode(dry_run=True)).as_dict()
    done = run(config, pushing).as_dict()
    assert writes(sa) == before
    assert (dry["sa_writes"], done["sa_writes"]) == ({}, {})
    assert (done["events_read"], done["coalesced"], done["duplicates"]) == (2 * EDITS, 2 * (EDITS - 1), 2)
    assert run(config, pushing, coalesce=False).as_dict()["duplicates"] == 2 * EDITS


def test_force_restores_sa_with_one_patch_per_learner(
    config: RuntimeConfig, pushing: Service, applied: dict[str, tuple[str, dict[str, Any]]], sa: SaSandboxProcess
) -> None:
    """--force pushes the latest PICS values again to an SA that lost them, one PATCH per learner."""
    made_stale(pushing, *(sa_id for sa_id, _ in applied.values()))
    before = writes(sa)
    summary = run(config, pushing, mode=RunMode(force=True)).as_dict()
    assert writes(sa) - before == 2 and summary["sa_writes"] == {"update learner": 2}
    assert (summary["applied"], summary["coalesced"]) == (2, 2 * (EDITS - 1))
    assert all(holds_latest(pushing, sa_id, learner) for sa_id, learner in applied.values())


def test_dry_run_force_reports_the_patches_and_changes_nothing(
    config: RuntimeConfig,
    pushing: Service,
    applied: dict[str, tuple[str, dict[str, Any]]],
    sa: SaSandboxProcess,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`replay --dry-run --force --verbose` lists the PATCHes it would make, one line per event, and SA keeps its values."""
    made_stale(pushing, *(sa_id for sa_id, _ in applied.values()))
    before = writes(sa)
    summary, lines = cli(config, monkeypatch, capsys, "--from", "earliest", "--dry-run", "--force", "--verbose")
    assert summary["dry_run"] and summary["sa_writes"] == {"update learner": 2}
    assert len(lines) == 2 * EDITS and sum("coalesced" in line for line in lines) == 2 * (EDITS - 1)
    assert writes(sa) == before
    assert all(pushing.sa.get_learner(sa_id)["email"] == STALE["email"] for sa_id, _ in applied.values())


def test_keys_limit_the_replay(
    config: RuntimeConfig,
    pushing: Service,
    applied: dict[str, tuple[str, dict[str, Any]]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--keys: only the learners named are replayed."""
    made_stale(pushing, *(sa_id for sa_id, _ in applied.values()))
    summary, _ = cli(config, monkeypatch, capsys, "--from", "earliest", "--force", "--keys", "L-RP-2")
    assert (summary["filtered_out"], summary["sa_writes"]) == (EDITS, {"update learner": 1})
    (first_id, _), (second_id, second) = applied["L-RP-1"], applied["L-RP-2"]
    assert pushing.sa.get_learner(first_id)["email"] == STALE["email"]
    assert holds_latest(pushing, second_id, second)


def test_from_a_time_skips_earlier_events(
    config: RuntimeConfig, pushing: Service, producer: EventProducer, drain: Callable[[], Tally]
) -> None:
    """--from a time: events written before it are not read."""
    first_id, _ = edited(pushing, producer, "L-RP-EARLY", 11)
    time.sleep(0.05)  # message timestamps are in milliseconds
    cut = datetime.now(UTC)
    second_id, second = edited(pushing, producer, "L-RP-LATE", 12)
    drain()
    made_stale(pushing, first_id, second_id)
    summary = run(config, pushing, start=cut, mode=RunMode(force=True)).as_dict()
    assert summary["events_read"] == EDITS and summary["sa_writes"] == {"update learner": 1}
    assert pushing.sa.get_learner(first_id)["email"] == STALE["email"]
    assert holds_latest(pushing, second_id, second)


def test_live_group_offsets_are_untouched(config: RuntimeConfig, pushing: Service, applied: dict[str, Any]) -> None:
    """A replay commits nothing: the live group's offsets stay, and the replay's group has none."""
    physical = config.topic_prefix + "pics.learner"
    live = committed_offsets(config.kafka_bootstrap_servers, config.kafka_group_id, physical)
    summary = run(config, pushing, mode=RunMode(force=True))
    assert committed_offsets(config.kafka_bootstrap_servers, config.kafka_group_id, physical) == live
    assert sum(offset for offset in live.values() if offset > 0) == 2 * EDITS  # the drain committed every event
    assert all(
        offset < 0 for offset in committed_offsets(config.kafka_bootstrap_servers, summary.group, physical).values()
    )


def test_a_topic_not_on_the_broker_is_a_clear_error(config: RuntimeConfig, pushing: Service) -> None:
    """Replaying a topic the broker does not have fails at once, naming it."""
    with pytest.raises(ConfigurationError, match=r"no topic .*sa\.officer"):
        run_on(config, pushing, "sa.officer")
