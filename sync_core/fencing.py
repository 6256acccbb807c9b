"""Fences: whether a piece of work may still change anything, once its loop may have lost it.

The consume loop owns each assigned partition for one generation: from the first message it polls
there until the partition is revoked or lost, or the loop stops. Then that generation is gone, and
another consumer may own the partition already: a write made now could land after the new owner's
newer ones (SA would hold the older edit). Each generation has a ``Fence``, set when it goes. Every
wait of its works (a retry's back-off, SA's Retry-After, a write in doubt) ends when the fence is
set, and every SA write and every ledger record checks it first and raises ``Abandoned``: work of a
gone generation is neither written, recorded nor committed, and the next owner does it again.

Callers outside the consume loop (redrive, replay, the daily pull) run unfenced (``UNFENCED``).
"""

from __future__ import annotations

import threading


class Abandoned(BaseException):  # a stop, not an error: outside every ``except Exception``
    """The work is left unfinished: its offset is not committed and it comes again."""


class Fence(threading.Event):
    """One generation's signal: set once it is gone (revoked, lost, or its loop stopping), never cleared.

    An ``Event``, so the retry machinery can wait on it (``sync_core.pipeline.retrying.call``'s ``stop``).
    """

    def check(self) -> None:
        """Raise ``Abandoned`` when the generation is gone: call before changing anything."""
        if self.is_set():
            raise Abandoned


UNFENCED = Fence()  # never set: for work no rebalance can take away (redrive, replay, the daily pull, tests)
