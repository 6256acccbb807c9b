"""The DLQ copy is best effort: a broker that is away or refuses it is a log line, never an error in the worker.

Each test uses a real librdkafka producer pointed at a port nothing listens on, so the queue, the
size check and the delivery reports are librdkafka's own.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import structlog
from structlog.testing import capture_logs

from consumers.kafka.clients import RawProducer
from consumers.ops import dlq_mirror
from consumers.ops.dlq_mirror import DlqMirror
from sync_core.errors import PermanentError, TransientError
from sync_core.outcome import Kind, Outcome, Source
from sync_core.pipeline.process import Delivery

NOWHERE = "127.0.0.1:9"  # the discard port: nothing answers there
QUIET = {"log_level": 0, "reconnect.backoff.ms": 1000}
PARKED = Outcome(Kind.PARKED, None, "LearnerEdited", reason="the message key is not valid UTF-8 (kept in hex)")


@pytest.fixture(autouse=True)
def fresh_logger(monkeypatch: pytest.MonkeyPatch) -> None:
    """A logger not yet bound: an earlier test's configure_logging caches the module's on first use."""
    monkeypatch.setattr(dlq_mirror, "log", structlog.get_logger("pics_sync.dlq"))


def delivery(offset: int, value: bytes = b"\xc3\x01avro") -> Delivery:
    return Delivery(Source("pics.learner", 2, offset, "hex:4c31ff"), value)


def observed_within(mirror: DlqMirror, deliveries: list[Delivery], seconds: float) -> bool:
    """Mirror each delivery on a thread of its own, as a worker would; True when all returned within ``seconds``."""
    worker = threading.Thread(target=lambda: [mirror.observe(d, PARKED) for d in deliveries], daemon=True)
    worker.start()
    worker.join(seconds)
    return not worker.is_alive()


def failures(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in logs if line["event"] == "dlq.mirror_failed"]


def test_a_full_queue_while_the_broker_is_down_drops_the_copy_after_a_bounded_wait() -> None:
    """The second copy finds librdkafka's queue full; after wait_s the worker goes on and the drop is logged."""
    mirror = DlqMirror(RawProducer(NOWHERE, **QUIET, **{"queue.buffering.max.messages": 1}), "dlq", wait_s=0.3)
    with capture_logs() as logs:
        started = time.monotonic()
        assert observed_within(mirror, [delivery(40), delivery(41)], seconds=10.0)
        assert time.monotonic() - started < 5.0
        [dropped] = failures(logs)
        mirror.close(timeout=0.2)
    assert dropped["error"] == "TransientError" and "queue stayed full" in dropped["reason"]
    assert (dropped["topic"], dropped["partition"], dropped["offset"]) == ("pics.learner", 2, 41)
    assert failures(logs)[-1]["count"] == 1  # the first copy, still queued when the mirror closed


def test_a_copy_larger_than_the_producer_takes_is_logged_not_raised() -> None:
    """A 5 MB parked value is over the producer's message.max.bytes: logged with librdkafka's words, the worker goes on."""
    mirror = DlqMirror(RawProducer(NOWHERE, **QUIET), "dlq", wait_s=0.3)
    with capture_logs() as logs:
        assert observed_within(mirror, [delivery(7, b"\x00" * 5_000_000)], seconds=10.0)
        mirror.close(timeout=0.2)
    [refused] = failures(logs)
    assert refused["error"] == "PermanentError" and "too large" in refused["reason"].lower()


def test_a_copy_the_broker_never_acknowledges_is_logged_by_its_delivery_report() -> None:
    """Past message.timeout.ms the delivery report says the copy is lost: one line with its code and origin."""
    mirror = DlqMirror(RawProducer(NOWHERE, **QUIET, **{"message.timeout.ms": 300}), "dlq", wait_s=0.3)
    with capture_logs() as logs:
        assert observed_within(mirror, [delivery(12)], seconds=10.0)
        mirror.close(timeout=5.0)
    [lost] = failures(logs)
    assert lost["code"] == "_MSG_TIMED_OUT" and lost["offset"] == 12


def test_a_raw_producer_gives_up_on_a_full_queue_after_wait_s() -> None:
    """The bounded wait raises TransientError (in time, not never); a message librdkafka refuses is a PermanentError."""
    producer = RawProducer(NOWHERE, **QUIET, **{"queue.buffering.max.messages": 1})
    producer.send("dlq", None, b"first")
    raised: list[BaseException] = []

    def second() -> None:
        try:
            producer.send("dlq", None, b"second", wait_s=0.1)
        except TransientError as full:
            raised.append(full)

    worker = threading.Thread(target=second, daemon=True)
    worker.start()
    worker.join(10.0)
    assert not worker.is_alive() and len(raised) == 1
    with pytest.raises(PermanentError):
        producer.send("dlq", None, b"\x00" * 5_000_000, wait_s=0.1)
    assert producer.close(timeout=0.1) == 1
