"""One member of the floor with N processes (``pics-sync bench push --processes N``), a process of its own.

``python -m sandbox.bench.floor_member INDEX`` joins the group named by ``PICS_SYNC_KAFKA_GROUP_ID`` on the
push topics under ``PICS_SYNC_TOPIC_PREFIX`` and does the floor's work (``push.floor_patch``: decode the
event, PATCH its record; no order, ledger or hash) for the partitions it is given, on as many workers as
its share of the SA cap (``PICS_SYNC_SA_MAX_CONCURRENCY``, set by the bench from
``consumers.supervisor.budget``), until SIGTERM or SIGINT. For each event done it writes one line to
stdout: the wall-clock time (``time.time()``) SA answered, so the bench can time the backlog across
members. Its Kafka client.id is ``pics-bench-floor-INDEX``.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from consumers.kafka.clients import make_consumer
from consumers.service import open_service
from sandbox.bench.push import floor_patch
from sync_core.config import kafka_settings, load_config
from sync_core.logs import configure_logging
from sync_core.pipeline.routes import PUSH_TOPICS


def main(argv: list[str]) -> int:
    """Consume and PATCH until a signal; 0 once stopped."""
    index = int(argv[0])
    config = load_config()
    configure_logging("WARNING")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    cap = config.sa_max_concurrency
    client = {"client.id": f"pics-bench-floor-{index}"}
    consumer = make_consumer(kafka_settings(config), config.kafka_group_id, **client)
    consumer.subscribe([config.topic_prefix + t for t in PUSH_TOPICS])
    lock, slots = threading.Lock(), threading.Semaphore(cap * 2)
    with open_service(config) as service:

        def post(value: bytes) -> None:
            try:
                floor_patch(service.ports, service.sa, value)
                with lock:
                    sys.stdout.write(f"{time.time():.6f}\n")
                    sys.stdout.flush()
            finally:
                slots.release()

        with ThreadPoolExecutor(max_workers=cap) as pool:
            while not stop.is_set():
                for msg in consumer.consume(500, timeout=0.2):
                    if msg.error() is None:
                        slots.acquire()
                        pool.submit(post, msg.value() or b"")
        consumer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
