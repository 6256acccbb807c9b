"""The record of every SA API call the sandbox received, for tests and the demo to inspect."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import asdict, dataclass
from typing import Any

from sandbox.sa.store import now_iso

#: The log keeps the latest calls only; the counts stay exact.
LOG_LIMIT = 100_000


@dataclass
class Call:
    """One call; ``status`` is None until the answer starts."""

    seq: int
    method: str
    route: str
    resource_id: str | None
    status: int | None
    at: str


class CallLog:
    """Counts per ``"<METHOD> <route template>"`` and the latest calls in arrival order."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._log: deque[Call] = deque(maxlen=LOG_LIMIT)
        self._seq = 0

    def start(self, method: str, route: str, resource_id: str | None) -> Call:
        """Count a call that just arrived; the caller sets its ``status`` when it answers."""
        self._seq += 1
        self._counts[f"{method} {route}"] += 1
        call = Call(self._seq, method, route, resource_id, None, now_iso())
        self._log.append(call)
        return call

    def snapshot(self, since: int = 0) -> dict[str, Any]:
        """``{"counts": {...}, "log": [...]}``; the log holds calls with ``seq > since``."""
        log = [asdict(call) for call in self._log if call.seq > since]
        return {"counts": dict(self._counts), "log": log}

    def clear(self) -> None:
        self._counts.clear()
        self._log.clear()
        self._seq = 0
