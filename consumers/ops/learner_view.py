"""A learner's history as the sync state holds it: what the console's learner page and ``pics-sync learner`` show.

The key is the Learner Ident (the Kafka key of the learner topics). The view holds the key's ledger
rows (newest first), the links of the learner and of its records (its employer, officers and
enrolments, as PICS links them now), its parked events, its drift records (D3) under the event that
found each, and the in-sync indicator judged from them (``consumers.web.in_sync``). Everything in it is
an id, an event type, an outcome, a reason, a rule id, a field name or a count: the PICS snapshot is
read for its ids only, and no parked message's bytes are shown. The queries are the console's
(``consumers.web.queries``, ``drift.learner_repairs``); this module only puts one learner's answers
together, once for both. Reads only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from psycopg_pool import ConnectionPool

from consumers.ops.drift_values import related
from consumers.web import drift, in_sync, queries
from consumers.web.drift import Repairs
from consumers.web.queries import LedgerRow, Link
from sync_core.pics.snapshot import learner_snapshot
from sync_core.state.parked import ParkedEvent, ParkedEvents, ParkedFilter

# The ledger writes a rule into its reason as "<reason> (<rule id>)", reports joined by "; " (``Ledger``).
_RULE = re.compile(r"\(([A-Z]\d{1,2})\)(?=;|$)")


def rules_of(row: LedgerRow) -> tuple[str, ...]:
    """The DOMAIN.md rule ids an event's reason names, in order, each once."""
    return tuple(dict.fromkeys(_RULE.findall(row.reason or "")))


@dataclass(frozen=True)
class LearnerView:
    """Everything the sync state tells of one learner."""

    key: str
    ledger: list[LedgerRow]  # its newest events, newest first
    links: list[Link]  # the learner's own link (none: not in SA, X2)
    record_links: list[Link]  # its employer's, officers' and enrolments', as PICS links them now
    parked: list[ParkedEvent]  # the first ones, in the order a redrive replays them
    parked_count: int
    repairs: Repairs
    state: in_sync.SyncState

    @property
    def known(self) -> bool:
        """Whether the sync state holds anything of this key at all."""
        return bool(self.ledger or self.links or self.record_links or self.parked_count or self.repairs.all)


def gather(pool: ConnectionPool, key: str, limit: int = 200, parked_shown: int = 500) -> LearnerView:
    """The view of ``key``: its newest ``limit`` events and its first ``parked_shown`` parked events."""
    ledger, links = queries.ledger_of(pool, key, limit), queries.learner_links(pool, key)
    repairs = drift.learner_repairs(pool, key, [r.event_id for r in ledger])
    snapshot = learner_snapshot(pool, key)  # for its records' ids, as the repairs read them
    records = [] if snapshot is None else related(snapshot)
    parked = queries.parked_count(pool, key)
    state = in_sync.judge(bool(links), parked, queries.newest_per_topic(pool, key),
                          queries.last_event_of(pool, key, in_sync.RECONCILES), repairs.all)  # fmt: skip
    shown = ParkedEvents(pool).find(ParkedFilter(key=key), parked_shown)
    return LearnerView(key, ledger, links, queries.links_of(pool, records), shown, parked, repairs, state)
