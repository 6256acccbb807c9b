"""Plans: what a rule decides, as small frozen values. The executor turns them into SA calls.

A rule never calls anything; it returns a tuple of these steps. That makes the field rules
testable without HTTP and lets a dry run print the plan instead of executing it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class UpdateLearner:
    """Set these SA learner fields (SA's names) on the linked SA learner."""

    sa_id: str
    fields: Mapping[str, Any]

    @property
    def resource(self) -> str:
        """The SA resource this step writes, for the pushed-state hash (X1)."""
        return f"learner:{self.sa_id}"


@dataclass(frozen=True)
class Skip:
    """Nothing to do, for a reason and under a rule an operator can look up."""

    reason: str
    rule: str


@dataclass(frozen=True)
class Park:
    """Cannot be done now: keep the event for a redrive."""

    reason: str
    rule: str


Step = UpdateLearner | Skip | Park
Plan = tuple[Step, ...]
