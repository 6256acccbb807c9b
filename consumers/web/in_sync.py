"""Is this learner in sync? The learner page's indicator, judged from facts the page has read already.

A learner is *in sync* when it is linked to an SA learner and all three checks pass:

1. **nothing parked**: no event of its key waits in ``sync.parked_events`` (later events would park
   behind it);
2. **its last events went through**: the newest event of its key on each topic (the pushed
   ``pics.learner``, the pulled ``sa.learner``) was applied, or skipped because the settings ask for
   nothing (L5, S13 off …). Parked, or skipped because the integration was off (S1), fails: that
   change never reached the other side;
3. **no difference left since its last reconcile**: of the drift records of its records (the learner,
   its qualifications, employer and officers) found by its newest reconcile or refresh
   (``RECONCILES``) or after it, the newest of each field was repaired (pushed, pulled, enrolled), not
   reported, failed or a dry run's. Never reconciled: every record of it counts.

Not linked: "not in Smart Assessor", nothing to keep in step (X2). The limits: an event still in Kafka,
not consumed yet, is not seen (the overview's lag counts those), and a hand edit in SA since the last
reconcile is not known until the next one finds it (D1).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from consumers.web.queries import LedgerRow
from sync_core.pipeline.routes import LEARNER, ROUTES
from sync_core.state.drift import REPAIRED, DriftRecord

# The learner's events that compare it with SA's record: a refresh (R1) and a reconcile (D1, daily or on demand).
RECONCILES = frozenset(name for name, route in ROUTES.items() if route.compare and route.topic == LEARNER)
NOT_SENT = "(S1)"  # a skip for this rule sent nothing: the integration was off


@dataclass(frozen=True)
class Check:
    """One condition of being in sync, and what the page says of it."""

    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class SyncState:
    """The learner's indicator: ``linked`` and its checks."""

    linked: bool
    checks: tuple[Check, ...]

    @property
    def in_sync(self) -> bool:
        """Linked, and every check passed."""
        return self.linked and all(c.ok for c in self.checks)

    @property
    def label(self) -> str:
        """What the indicator says."""
        return "in sync" if self.in_sync else "not in sync" if self.linked else "not in Smart Assessor"


def judge(
    linked: bool, parked: int, newest: Sequence[LedgerRow], reconcile: LedgerRow | None, drift: Iterable[DriftRecord]
) -> SyncState:
    """The indicator from: is it linked, its parked events, its newest event per topic, its last reconcile, and
    its drift records (newest first)."""
    if not linked:
        return SyncState(False, ())
    return SyncState(True, (_parked(parked), _newest(newest), _differences(reconcile, drift)))


def _parked(parked: int) -> Check:
    if parked:
        return Check("nothing parked", False, f"{parked} event(s) parked: later events of this learner park behind")
    return Check("nothing parked", True, "no event of this learner is parked")


def _newest(newest: Sequence[LedgerRow]) -> Check:
    failed = [r for r in newest if r.outcome == "parked" or (r.reason or "").endswith(NOT_SENT)]
    if failed:
        said = "; ".join(f"{r.event_type} on {r.topic} was {r.outcome}: {r.reason or '-'}" for r in failed)
        return Check("last events went through", False, said)
    if not newest:
        return Check("last events went through", True, "no event of this learner in the ledger yet")
    said = ", ".join(f"{r.event_type} on {r.topic} {r.outcome}" for r in newest)
    return Check("last events went through", True, said)


def _differences(reconcile: LedgerRow | None, drift: Iterable[DriftRecord]) -> Check:
    since = [r for r in drift if reconcile is None or r.event_id == reconcile.event_id
             or r.found_at > reconcile.processed_at]  # fmt: skip
    newest: dict[tuple[str, str | None, str | None, str], DriftRecord] = {}
    for record in since:  # newest first: the first of a field is its newest
        newest.setdefault((record.entity, record.pics_id, record.sa_resource, record.field), record)
    left = [r for r in newest.values() if r.action not in REPAIRED]
    when = "never reconciled" if reconcile is None else f"last reconciled {reconcile.processed_at:%Y-%m-%d %H:%M} UTC"
    if left:
        fields = ", ".join(f"{r.entity}.{r.field} {r.action}" for r in left)
        return Check("no difference left", False, f"{when}; not repaired since: {fields}")
    return Check("no difference left", True, f"{when}; every difference found since was repaired")
