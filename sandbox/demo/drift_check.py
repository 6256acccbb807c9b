"""Did the daily run's drift report (DOMAIN.md D1–D3) name exactly the differences the demo knows of?

What the demo expects is its own bookkeeping, never the product's report: the fields it edited by hand in
SA where the settings make PICS win (pushed back, D1), an enrolment it removed from SA (enrolled again, D2,
U5), a course its model says PICS has and SA lacks (enrolled, D2), and each field the pull check expects
the pull to bring into PICS (pulled, D1: P7, P9–P11). Each is matched with the report's rows of the run by
record, field, direction and action. A row nobody expected (a false positive: canonicalisation, a field
read wrong) fails the demo as surely as an expected one that is missing. Names only, never values (D3).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

EXAMPLES = 10
REPAIRED = ("pushed", "pulled", "enrolled")  # the report's actions that brought the two systems together


@dataclass(frozen=True)
class Drift:
    """One difference: the record (entity, PICS id), the SA field, the direction and the action taken."""

    entity: str  # learner, enrolment, employer, assessor
    pics_id: str | None
    field: str
    direction: str  # push, pull
    action: str  # pushed, pulled, enrolled, reported, failed

    def __str__(self) -> str:
        return f"{self.entity} {self.pics_id}: {self.field} ({self.direction}, {self.action})"


@dataclass
class DriftCheck:
    """The report of one run against what the demo expects of it."""

    expected: int = 0
    found: int = 0
    repaired: int = 0
    missing: int = 0  # expected, and not in the report with that action
    unexpected: int = 0  # in the report, and expected by nobody
    examples: list[str] = field(default_factory=list)

    def note(self, what: str) -> None:
        if len(self.examples) < EXAMPLES:
            self.examples.append(what)

    def figures(self) -> dict[str, object]:
        return {
            "drift_found": self.found,
            "drift_repaired": self.repaired,
            "drift_expected": self.expected,
            "drift_missing": self.missing,
            "drift_unexpected": self.unexpected,
        }


def check_drift(expected: Iterable[Drift], found: Iterable[Drift]) -> DriftCheck:
    """Each expected difference in the report once, with its action; nothing else in it."""
    wanted, rows = Counter(expected), Counter(found)
    check = DriftCheck(expected=sum(wanted.values()), found=sum(rows.values()))
    check.repaired = sum(n for row, n in rows.items() if row.action in REPAIRED)
    for row, n in sorted((wanted - rows).items(), key=lambda item: str(item[0])):
        check.missing += n
        check.note(f"missing from the drift report: {row}")
    for row, n in sorted((rows - wanted).items(), key=lambda item: str(item[0])):
        check.unexpected += n
        check.note(f"in the drift report, not expected: {row}")
    return check
