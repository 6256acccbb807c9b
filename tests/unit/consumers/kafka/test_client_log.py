"""librdkafka's own log goes through structlog, once per line a minute, not as raw lines on stderr (#16)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog
from confluent_kafka import Consumer

from consumers.kafka import client_log, clients
from consumers.kafka.client_log import ClientLog
from sync_core.logs import configure_logging

REFUSED = "127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: Connection refused (after {}ms in state CONNECT)"


@pytest.fixture
def log_stream(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """structlog configured into a buffer, reset afterwards; the module's logger not yet bound (an earlier
    test's configure_logging caches it on first use)."""
    stream = io.StringIO()
    configure_logging("DEBUG", stream=stream)
    monkeypatch.setattr(client_log, "log", structlog.get_logger("pics_sync.librdkafka"))
    yield stream
    structlog.reset_defaults()


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def _record(text: str, level: int = logging.ERROR) -> logging.LogRecord:
    """A record as confluent-kafka makes it: ``logger.log(level, "%s [%s] %s", fac, name, text)``."""
    return logging.LogRecord("x", level, __file__, 0, "%s [%s] %s", ("FAIL", "rdkafka#consumer-1", text), None)


def test_a_repeated_line_is_written_once_then_counted(log_stream: io.StringIO) -> None:
    """Lines differing only in numbers are one; after the window the next says how many were held back."""
    client_log = ClientLog(every_s=60.0)
    for delay in range(50):
        client_log.handle(_record(REFUSED.format(delay)))
    assert [(line["event"], line["code"], line.get("count")) for line in _lines(log_stream)] == [
        ("kafka.client_log", "FAIL", None)
    ]
    client_log.every_s = 0.0
    client_log.handle(_record(REFUSED.format(7)))
    assert _lines(log_stream)[-1]["count"] == 49 and _lines(log_stream)[-1]["level"] == "error"


def test_a_real_client_writes_no_raw_librdkafka_lines(
    log_stream: io.StringIO, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A consumer of a broker that is down writes no ``%3|…|FAIL|`` line; its log is a structlog line or two."""
    monkeypatch.setattr(clients, "CLIENT_LOG", ClientLog())
    consumer = Consumer(clients.consumer_config("127.0.0.1:1", "client-log-test"))
    try:
        for _ in range(15):
            consumer.poll(0.1)
    finally:
        consumer.close()
    raw = [line for line in capfd.readouterr().err.splitlines() if line.startswith("%")]
    logged = [line for line in _lines(log_stream) if line["event"] == "kafka.client_log"]
    assert raw == [] and 1 <= len(logged) <= 3
