"""Admission: is a delivery new, a duplicate, behind a parked event of its key, or skipped (S1)?

The one place that answers. ``admit`` is pure: the facts (a ``Prior``) come from the ledger,
``Ledger.prior`` for one delivery or ``Ledger.priors`` for a whole poll or replay range in one
round trip; S1 comes from the settings; the run mode says whose view counts:

    ledger holds the event as     key has a parked event   live / dry run   redrive      forced
    nothing                       no                       NEW              NEW          NEW
    nothing                       yes                      BEHIND_PARKED    NEW          BEHIND_PARKED
    applied, skipped, duplicate   (any)                    DUPLICATE        DUPLICATE    NEW
    parked                        (its own row)            DUPLICATE        NEW          NEW

and whatever is not a DUPLICATE is SKIPPED while the integration is off (S1). A redrive takes a
key's parked events oldest first and stops at the first that parks again, so the event in hand is
always the head of its key: the parked rows it sees are its own and those behind it. A forced run
(an SA restored from backup) ignores what the ledger says was done, not the order of a key.

The ledger's insert (``ON CONFLICT DO NOTHING``) stays the last word when two deliveries of one
event race past admission: the second records nothing, none of its hashes either, and reports a
duplicate. BEHIND_PARKED is confirmed when the event parks, under its key's lock
(``sync_core.state.key_lock``): if a redrive settled the key since the facts were read, the event is
the head of its key and is processed as NEW.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sync_core.outcome import Kind


class Admission(StrEnum):
    """What becomes of a delivery before any rule sees it."""

    NEW = "new"  # plan and apply it
    DUPLICATE = "duplicate"  # its event id was processed before: nothing to do
    BEHIND_PARKED = "behind parked"  # an earlier event of its key is parked: park it behind, in order
    SKIPPED = "skipped"  # the integration is off (S1)


@dataclass(frozen=True)
class RunMode:
    """How a message is processed: live, as a dry run, forced, or redriven from the parked events."""

    dry_run: bool = False  # plan and report the SA calls; write nothing, record nothing
    force: bool = False  # ignore the ledger and the pushed-state hashes (an SA that lost data)
    redrive: bool = False  # the event is the head of its key's parked events (``consumers.ops.redrive``)


LIVE = RunMode()


@dataclass(frozen=True, slots=True)
class Prior:
    """What the ledger knew of a delivery when it was asked."""

    outcome: Kind | None  # the event id's recorded outcome; None: never processed
    parked_ahead: bool  # its key has a parked event on its topic (its own, if it parked)


NOTHING_KNOWN = Prior(None, parked_ahead=False)  # a delivery without an event id, or a key-less one


def admit(prior: Prior, *, integration_enabled: bool, mode: RunMode) -> Admission:
    """The table in the module docstring."""
    if _processed(prior, mode) and not mode.force:
        return Admission.DUPLICATE
    if not integration_enabled:
        return Admission.SKIPPED
    if prior.parked_ahead and not mode.redrive:
        return Admission.BEHIND_PARKED
    return Admission.NEW


def _processed(prior: Prior, mode: RunMode) -> bool:
    if prior.outcome is None:
        return False
    return not (mode.redrive and prior.outcome is Kind.PARKED)
