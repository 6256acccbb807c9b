"""Fault hooks for tests: the process exits at a named checkpoint, as a kill -9 would, or a rule raises.

Checkpoints are named where a crash is most dangerous, e.g. ``after_sa_create:learner`` (SA has
created the record, our link is not yet stored). Set ``PICS_SYNC_CRASH_AT`` to one of them.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from sync_core.execute.protocols import no_checkpoint

CRASH_EXIT_CODE = 86


def crash_checkpoint(crash_at: str | None) -> Callable[[str], None]:
    """A checkpoint function that ends the process abruptly at ``crash_at`` (no-op when None)."""
    if not crash_at:
        return no_checkpoint

    def checkpoint(name: str) -> None:
        if name == crash_at:
            os._exit(CRASH_EXIT_CODE)  # no cleanup, no commit: like SIGKILL

    return checkpoint


class InjectedFault(RuntimeError):
    """Raised by the rule fault hook: deliberately outside our exception tree, as a bug would be."""


def no_fault(_key: str | None) -> None:
    """The default rule fault hook: do nothing."""


def raise_in_rule(key: str | None) -> Callable[[str | None], None]:
    """A hook run before an event's rule that raises ``InjectedFault`` for events of ``key`` (no-op when None).

    Set ``PICS_SYNC_RAISE_IN_RULE`` to a learner ident (or organisation or officer id) to see what an
    unexpected exception inside a rule does: that event parks under its class name, the key's later
    events park behind it, and every other key goes on.
    """
    if not key:
        return no_fault

    def fault(event_key: str | None) -> None:
        if event_key == key:
            raise InjectedFault("injected by PICS_SYNC_RAISE_IN_RULE")

    return fault
