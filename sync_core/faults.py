"""A fault hook for crash tests: the process exits at a named checkpoint, as a kill -9 would.

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
