"""The overview's figures: gathered at most once every ``STATUS_TTL_S`` seconds, however often it is asked.

``gather`` is ``pics-sync status``'s report (``consumers.ops.status``) with the parked events counted
by SQL aggregates (``ParkedEvents.by_reason``: counts and oldest per reason, no row or payload
loaded). Its Kafka reads (each group's offsets and members) build their clients once per gathering,
so a page reloaded by many browsers costs the broker one round of clients every few seconds, not one
per request. ``Cached`` hands out the last figures while they are fresh; when they are not, one
request gathers anew while the others are served the stale ones (the very first waits for it). An
action of the console forgets them, so the operator sees its effect at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from psycopg_pool import ConnectionPool

from consumers.ops.status import StatusReport, collect_status
from consumers.web import queries
from sync_core.config import RuntimeConfig

STATUS_TTL_S = 5.0
# The overview's tiles, named for what each counts: the ledger's outcome counts are events (by event id)
# recorded with that outcome; the DLQ's tile (``StatusReport.parked_total``) counts parked messages, an
# event id or not, so the two parked figures differ by design and are named apart.
TILES: Mapping[str, tuple[str, str]] = {
    "applied": ("applied", "events sent to SA, or found there already (X1)"),
    "skipped": ("skipped", "nothing to send under the settings, or the integration off (S1)"),
    "parked": ("parked, by event id", "events the ledger marks parked: not redriven or discarded yet"),
}
T = TypeVar("T")


@dataclass(frozen=True)
class Overview:
    """What the overview page shows of the whole integration."""

    report: StatusReport
    counts: dict[str, queries.OutcomeCount]


def gather(config: RuntimeConfig, pool: ConnectionPool) -> Overview:
    """The status of both sides (as ``pics-sync status`` reads it) and the ledger's counts, as of now."""
    return Overview(collect_status(config, pool), queries.outcome_counts(pool))


class Cached(Generic[T]):
    """The last value ``gather`` returned, for ``ttl_s`` seconds; one gathering at a time."""

    def __init__(
        self, gather: Callable[[], T], ttl_s: float = STATUS_TTL_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._gather, self._ttl_s, self._clock = gather, ttl_s, clock
        self._value: T | None = None
        self._at = float("-inf")
        self._gathering = threading.Lock()

    def get(self) -> T:
        """The value, gathered anew when it is older than ``ttl_s`` (unless another request is at it)."""
        value = self._fresh()
        if value is not None:
            return value
        if not self._gathering.acquire(blocking=self._value is None):
            return self._value  # type: ignore[return-value]  # acquire only fails when a value is held
        try:
            value = self._fresh()  # gathered while this one waited
            if value is None:
                value = self._gather()
                self._value, self._at = value, self._clock()
            return value
        finally:
            self._gathering.release()

    def forget(self) -> None:
        """The next ``get`` gathers anew."""
        self._at = float("-inf")

    def _fresh(self) -> T | None:
        return self._value if self._clock() - self._at < self._ttl_s else None
