"""Scenario: Smart Assessor revokes our token mid-run and refuses to issue a new one.

Contract: once every SA call answers 401 and the token endpoint refuses the credentials (the
sandbox's ``revoke_credentials``), carrying on could only fail or park every event, so the consumer
stops: ``pics-sync run`` exits 2 with one line on stderr naming the problem ("Smart Assessor refused
the credentials: ..."), no traceback. Nothing is parked for it, and the group commits nothing past
its unfinished work: each partition's committed offset is at most the offset of its first event the
ledger (``sync.processed_events``) does not hold as applied, so a consumer started with good
credentials takes up every event not done.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import pytest

from consumers.service import Service
from sandbox.sa.process import SaSandboxProcess
from sync_core.config import RuntimeConfig
from sync_core.outcome import Tally
from tests.scenarios.world import (
    ConsumerProcess,
    backlog,
    enrolled_world,
    ledger_size,
    offsets,
    parked_rows,
    recorded,
)
from tests.support import wait_until

pytestmark = pytest.mark.integration

LEARNERS, EVENTS = 20, 300
REFUSED = "pics-sync: Smart Assessor refused the credentials: "


def committed_past_unfinished(service: Service, config: RuntimeConfig) -> dict[tuple[str, int], tuple[int, int]]:
    """Partitions whose committed offset is past their first event not applied: (committed, that event's offset)."""
    applied: dict[tuple[str, int], set[int]] = defaultdict(set)
    for row in recorded(service, "applied"):
        applied[row["topic"], row["partition"]].add(row["offset"])
    past = {}
    for partition, (committed, high) in offsets(config).items():
        first_undone = next((o for o in range(high) if o not in applied[partition]), high)
        if committed > first_undone:
            past[partition] = (committed, first_undone)
    return past


def test_sa_refusing_the_credentials_stops_the_consumer_with_one_line_and_no_commit_past_unfinished_work(
    service: Service, config: RuntimeConfig, drain: Callable[[], Tally], sa: SaSandboxProcess
) -> None:
    """SA revokes the token and refuses a new one mid-run: exit 2, one stderr line, no traceback, nothing committed past work not done."""
    # Each event is sent once: a second copy would be a duplicate the ledger holds under the first one's offset.
    scenario = enrolled_world(service, drain, learners=LEARNERS, seed=97, duplicate_share=0.0)
    scenario.send(scenario.changes(EVENTS))
    sa.configure(latency_ms=50)  # the backlog lasts several seconds, so the revocation lands in it
    consumer = ConsumerProcess(config)
    try:
        at_start = ledger_size(service)
        wait_until(lambda: ledger_size(service) >= at_start + 30 or consumer.proc.poll() is not None, timeout=30)
        assert consumer.proc.poll() is None, consumer.stderr()
        sa.revoke_credentials()
        try:
            wait_until(lambda: consumer.proc.poll() is not None, timeout=60)
        except AssertionError as running:
            raise AssertionError(f"{running}; the consumer's log ends:\n{consumer.stderr()[-6000:]}") from None
        code, stderr = consumer.proc.returncode, consumer.stderr()
    finally:
        consumer.close()

    lines = stderr.strip().splitlines()
    assert code == 2, stderr
    assert "Traceback" not in stderr
    assert [line for line in lines if line.startswith("pics-sync: ")] == lines[-1:], stderr
    assert lines[-1].startswith(REFUSED), stderr
    assert backlog(config) > 0  # it stopped with work left
    assert parked_rows(service) == []
    assert committed_past_unfinished(service, config) == {}
