"""Turns a plan into Smart Assessor calls, skipping any whose content SA already holds from us (X1)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from sync_core.plan import Plan, UpdateLearner


class SaWriter(Protocol):
    """The SA calls the executor makes."""

    def update_learner(self, sa_id: str, fields: Mapping[str, Any]) -> Mapping[str, Any]: ...


class PushedState(Protocol):
    """Remembers a hash of what was last pushed to each SA resource."""

    def pushed_hash(self, sa_resource: str) -> str | None: ...


@dataclass(frozen=True)
class Effects:
    """What executing a plan did (or, in a dry run, would do)."""

    sa_calls: int = 0
    pushed: Mapping[str, str] = field(default_factory=dict)  # SA resource → content hash
    calls: tuple[str, ...] = ()  # "PATCH learner:<id>" per call made or planned


def content_hash(fields: Mapping[str, Any]) -> str:
    """A stable hash of pushed content: same fields and values, same hash."""
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def execute(
    plan: Plan, sa: SaWriter, state: PushedState, *, dry_run: bool = False, force: bool = False
) -> Effects:
    """Make the plan's SA calls. ``force`` pushes even unchanged content; ``dry_run`` calls nothing."""
    calls: list[str] = []
    pushed: dict[str, str] = {}
    for step in plan:
        if not isinstance(step, UpdateLearner):
            continue
        digest = content_hash(step.fields)
        if not force and state.pushed_hash(step.resource) == digest:
            continue  # X1: SA already holds exactly this from us
        if not dry_run:
            sa.update_learner(step.sa_id, step.fields)
        calls.append(f"PATCH {step.resource}")
        pushed[step.resource] = digest
    return Effects(sa_calls=0 if dry_run else len(calls), pushed=pushed, calls=tuple(calls))
