"""librdkafka's own log, through structlog and de-duplicated, instead of raw ``%3|…|FAIL|`` lines on stderr.

Every client gets ``CLIENT_LOG`` as its ``logger`` (``clients.client_settings``). librdkafka repeats a
line for as long as its cause lasts (a refused connection about twenty times a second, whatever the
number of clients), so a line already written in the last ``every_s`` seconds is only counted; the
next one written after that says how many were held back (``count``). Lines that differ only in
their numbers (``after 0ms``, ``after 3ms``) are one line. confluent-kafka serves the lines from a
client's ``poll``, so a client that is never polled writes none: that loses nothing an error callback
or a raised ``KafkaException`` does not report.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time

import structlog

log = structlog.get_logger("pics_sync.librdkafka")

_NUMBERS = re.compile(r"\d+")


class ClientLog(logging.Logger):
    """A stdlib ``Logger`` as confluent-kafka's ``logger`` setting takes one, writing ``kafka.client_log``."""

    def __init__(self, every_s: float = 60.0) -> None:
        super().__init__("pics_sync.librdkafka", logging.DEBUG)
        self.every_s = every_s
        self._lock = threading.Lock()  # clients serve their lines from whichever thread polls them
        self._seen: dict[str, tuple[float, int]] = {}  # line's shape → (when last written, held back since)

    def handle(self, record: logging.LogRecord) -> None:
        """One librdkafka line: ``record.args`` is (facility, client name, text)."""
        facility, _client, text = (*map(str, record.args or ()), "", "", "")[:3]
        held = self._held_back(f"{facility} {_NUMBERS.sub('#', text)}")
        if held is None:
            return
        write = log.error if record.levelno >= logging.ERROR else log.warning
        if record.levelno < logging.WARNING:
            write = log.info if record.levelno >= logging.INFO else log.debug
        write("kafka.client_log", code=facility, reason=text, **({"count": held} if held else {}))

    def _held_back(self, shape: str) -> int | None:
        """None while ``shape`` was written within ``every_s``; else how many were held back meanwhile."""
        now = time.monotonic()
        with self._lock:
            last, held = self._seen.get(shape, (-math.inf, 0))
            if now < last + self.every_s:
                self._seen[shape] = (last, held + 1)
                return None
            self._seen[shape] = (now, 0)
            return held


CLIENT_LOG = ClientLog()  # one for the process: the same line from every client is written once
