"""What became of one delivered message, and where it came from. Plain values, no I/O."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType


class Kind(StrEnum):
    """The four fates of a message."""

    APPLIED = "applied"  # its effect holds in SA (pushed now, or already there: X1)
    SKIPPED = "skipped"  # the settings or eligibility say nothing is to be done
    PARKED = "parked"  # it cannot be applied now; an operator can redrive it
    DUPLICATE = "duplicate"  # its event id was processed before


@dataclass(frozen=True)
class Source:
    """Where a message came from: enough to find it again in Kafka."""

    topic: str
    partition: int
    offset: int
    key: str | None


@dataclass(frozen=True)
class Outcome:
    """The result of processing one message."""

    kind: Kind
    event_id: str | None = None
    event_type: str | None = None
    reason: str | None = None
    rule: str | None = None
    sa_calls: int = 0
    writes: tuple[str, ...] = ()  # the SA writes made, e.g. "create employer", "update learner"
    pics_rows_changed: int = 0  # the pull side: PICS rows this event changed
    pushed: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # resource → hash


@dataclass
class Tally:
    """Running counts of outcomes."""

    kinds: Counter[Kind] = field(default_factory=Counter)
    sa_calls: int = 0
    writes: Counter[str] = field(default_factory=Counter)
    pics_rows_changed: int = 0

    def count(self, kind: Kind) -> int:
        """How many messages ended as ``kind``."""
        return self.kinds[kind]

    def add(self, outcome: Outcome) -> None:
        """Count one message's outcome."""
        self.kinds[outcome.kind] += 1
        self.sa_calls += outcome.sa_calls
        for write in outcome.writes:  # Counter.update's checks cost more than these few additions
            self.writes[write] += 1
        self.pics_rows_changed += outcome.pics_rows_changed
