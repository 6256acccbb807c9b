"""The demo's progress, one line per phase on stderr, so a newcomer sees it move; stdout keeps the summary.

Phases, in order: ``stack`` (the local parts start), ``enrolments`` (learners written to PICS and their
``LearnerEnrolled`` sent), ``changes`` (the stream of PICS changes sent), ``pushing`` (the push consumer
drained: outcomes so far), ``pull`` (SA's night and the daily run), ``checks`` (SA, then PICS and the drift
report, against the oracle). A line names the profile when more than one runs and the seconds since the
start, and carries counts only: ids, never values, so it holds no personal data.

The reporter also remembers each profile's runtime configuration (``profile``): ``demo --keep`` runs the
consumers and the console on the first profile's topics, group and database.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

from sync_core.config import RuntimeConfig
from sync_core.outcome import Kind, Tally

PHASES = ("stack", "enrolments", "changes", "pushing", "pull", "checks")


@dataclass
class Progress:
    """Writes phase lines to ``out`` (stderr); with ``out=None`` nothing (the benches, the scenarios)."""

    out: TextIO | None = field(default_factory=lambda: sys.stderr)
    clock: Callable[[], float] = time.monotonic
    configs: dict[str, RuntimeConfig] = field(default_factory=dict)
    named: bool = False  # more than one profile runs: each line says which
    _started: float | None = None
    _profile: str | None = None

    def phase(self, name: str, text: str = "", **counts: int) -> None:
        """One line: ``demo [+12.3s] pushing: drained (312 events, 280 applied, …)``; counts in the order given."""
        if name not in PHASES:
            raise ValueError(f"unknown demo phase {name!r}: one of {', '.join(PHASES)}")
        now = self.clock()
        self._started = now if self._started is None else self._started
        figures = ", ".join(f"{n} {label.replace('_', ' ')}" for label, n in counts.items())
        said = f"{text} ({figures})" if text and figures else text or figures
        where = f" {self._profile}" if self._profile else ""
        if self.out is not None:
            print(f"demo [+{now - self._started:.1f}s]{where} {name}: {said}", file=self.out, flush=True)

    def profile(self, name: str, config: RuntimeConfig) -> None:
        """A profile starts on ``config`` (its topics, group, database); later lines are its own."""
        self.configs.setdefault(name, config)
        self._profile = name if self.named else None

    def pushed(self, tally: Tally) -> None:
        """The ``pushing`` line: the push consumer's outcomes so far."""
        self.phase("pushing", "drained", **outcomes(tally), sa_calls=tally.sa_calls)

    @property
    def first(self) -> RuntimeConfig | None:
        """The configuration of the first profile that started (``demo --keep`` keeps it running)."""
        return next(iter(self.configs.values()), None)


def outcomes(tally: Tally) -> dict[str, int]:
    """A tally's events by outcome, as counts for a line."""
    kinds = {"applied": Kind.APPLIED, "skipped": Kind.SKIPPED, "duplicates": Kind.DUPLICATE, "parked": Kind.PARKED}
    return {"events": sum(tally.kinds.values())} | {label: tally.count(kind) for label, kind in kinds.items()}
