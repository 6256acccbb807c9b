"""What the demo did, as its oracle reads it: every event sent, whether S1 was on, and what became of it.

The runner fills it in (``Sender`` records each event it sends; the consumer's tally records each
outcome by event id). The oracle folds DOMAIN's rules over ``sent``; the accounting compares each
event's outcome with the fate the rules give it. Outcomes are kept as plain text (applied, skipped,
parked, duplicate), so nothing here comes from the product.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Sent:
    """One event as sent: its id, record name, topic and key, after-image, S1 while it was consumed, and
    the fields it changed."""

    event_id: str
    name: str
    topic: str
    key: str
    payload: Mapping[str, Any]
    integration_on: bool
    changed: tuple[str, ...] = ()  # the after-image fields the change touched


@dataclass(frozen=True)
class Outcome:
    """What the consumer recorded for an event (its first delivery that was not a duplicate)."""

    kind: str
    rule: str | None = None
    reason: str | None = None


@dataclass
class Journal:
    """Every event the demo sent, in order, and the outcomes of their deliveries."""

    sent: list[Sent] = field(default_factory=list)
    deliveries: int = 0  # every copy sent, second deliveries included
    outcomes: dict[str, Outcome] = field(default_factory=dict)  # event id → outcome
    duplicates: int = 0  # deliveries recorded as duplicates

    def record(self, sent: Sent, copies: int) -> None:
        """An event sent ``copies`` times."""
        self.sent.append(sent)
        self.deliveries += copies

    def outcome(self, event_id: str | None, kind: str, rule: str | None, reason: str | None) -> None:
        """One delivery's outcome."""
        if kind == "duplicate":
            self.duplicates += 1
        elif event_id is not None and event_id not in self.outcomes:
            self.outcomes[event_id] = Outcome(kind, rule, reason)
