"""Every event sent, accounted for: its outcome against the fate DOMAIN gives it (``model.Fate``).

An event the rules apply must be applied; one they skip (S1 off, X2 not in SA, Y2 not Live) must be
skipped, not applied; one the settings leave nothing to do for may be either ("applied" then means
"already as SA holds it", X1). A parked event, or one with no outcome at all, is always wrong. So
``applied + duplicates + skipped_expected == produced`` holds exactly when nothing went astray.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sandbox.demo.fates import APPLY, SKIP, Fate
from sandbox.demo.journal import Journal, Outcome, Sent
from sandbox.demo.model import SaModel
from sandbox.demo.oracle_tables import month_before

EXAMPLES = 10


@dataclass
class Accounts:
    """The events of one run by what became of them."""

    produced: int = 0
    applied: int = 0
    duplicates: int = 0
    skipped: int = 0
    skipped_expected: int = 0
    skipped_unexpected: int = 0
    applied_unexpected: int = 0
    parked: int = 0
    unaccounted: int = 0  # sent, and no outcome recorded
    skips: Counter[str] = field(default_factory=Counter)  # skipped as expected, by the oracle's reason
    examples: list[str] = field(default_factory=list)

    def wrong(self, sent: Sent, outcome: Outcome | None, fate: Fate) -> None:
        """Note one event whose outcome is not its fate: ids, record name and rule only."""
        if len(self.examples) < EXAMPLES:
            got = "no outcome" if outcome is None else f"{outcome.kind} ({outcome.rule or '-'}: {outcome.reason or ''})"
            self.examples.append(f"event {sent.event_id} {sent.name} {sent.key}: {got[:100]}, expected {fate.why}")

    def balanced(self) -> bool:
        """Every delivery applied, a duplicate, or skipped as the rules call for; nothing wrongly applied."""
        clean = self.parked == self.unaccounted == self.skipped_unexpected == self.applied_unexpected == 0
        return clean and self.applied + self.duplicates + self.skipped_expected == self.produced

    def figures(self) -> dict[str, Any]:
        return {
            "events_produced": self.produced,
            "events_applied": self.applied,
            "duplicates_skipped": self.duplicates,
            "events_skipped": self.skipped,
            "events_skipped_expected": self.skipped_expected,
            "events_skipped_unexpected": self.skipped_unexpected,
            "events_applied_unexpected": self.applied_unexpected,
            "events_parked": self.parked,
            "events_unaccounted": self.unaccounted,
            "skipped_expected_by_rule": dict(sorted(self.skips.items())),
        }


def account(journal: Journal, fates: Mapping[str, Fate]) -> Accounts:
    """Each sent event's outcome against its fate."""
    accounts = Accounts(produced=journal.deliveries, duplicates=journal.duplicates)
    for sent in journal.sent:
        outcome, fate = journal.outcomes.get(sent.event_id), fates[sent.event_id]
        kind = None if outcome is None else outcome.kind
        if kind == "applied":
            accounts.applied += 1
            if fate.expect == SKIP:
                accounts.applied_unexpected += 1
                accounts.wrong(sent, outcome, fate)
        elif kind == "skipped":
            accounts.skipped += 1
            expected = fate.expect != APPLY
            accounts.skipped_expected += expected
            accounts.skipped_unexpected += not expected
            if expected:
                accounts.skips[fate.why] += 1
            else:
                accounts.wrong(sent, outcome, fate)
        else:
            accounts.parked += kind == "parked"
            accounts.unaccounted += kind != "parked"
            accounts.wrong(sent, outcome, fate)
    return accounts


def cases(journal: Journal, model: SaModel, run_date: date) -> dict[str, int]:
    """How often the run met each case DOMAIN v2 decides apart, so a run that passes shows what it proved."""
    found: Counter[str] = Counter()
    uploaded = {s.key for s in journal.sent if s.name == "LearnerEnrolled" and model.fates[s.event_id].expect == APPLY}
    for sent in journal.sent:
        fate = model.fates[sent.event_id]
        if fate.why.startswith(("S1", "Y2")):
            found["skipped: integration disabled (S1)" if fate.why.startswith("S1") else "skipped: not live (Y2)"] += 1
        elif fate.why.startswith("X2"):
            found["edited before upload (X2)" if sent.key in uploaded else "never uploaded (X2)"] += 1
        elif fate.expect == APPLY:
            for case in _applied_cases(sent, fate, model, run_date):
                found[case] += 1
    return dict(sorted(found.items()))


def _applied_cases(sent: Sent, fate: Fate, model: SaModel, run_date: date) -> list[str]:
    payload, found = sent.payload, []
    if sent.name == "IlrAimClosed":
        ended = payload["qualification"]["actual_end_date"]
        found.append("aim closed late (A1, Y2)" if ended and ended < month_before(run_date) else "aim closed (A1)")
    if sent.name == "LearnerEnrolled":
        closed = [q for q in payload["qualifications"] if q["completion_status"] != 1 and model.supported(q)]
        found += ["closed at upload (U5)"] * len(closed)
    if fate.why.startswith("U5 enrolled"):
        found.append("qualification added after upload (U5)")
    if sent.name == "LearnerOfficersChanged":
        found.append("officers changed (Q1)")
    if sent.name == "LearnerEdited" and sent.changed == ("uln",) and payload["learner"]["uln"]:
        found.append("ULN obtained (L2)")
    return found
