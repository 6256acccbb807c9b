"""What SA does not hold of what PICS would push: rules D1 and D2 of DOMAIN.md §5b, pure.

D1  a field differs when SA's current value is not PICS's, read as SA represents values: a date is
    its ISO text, a number its text (5 and "5", 312 and 312.0, an SA id as int or text), and None,
    "" and a missing key are one blank (as P13 reads them). Text is compared exactly: a postcode
    retyped in lower case, a phone number without its leading 0, are differences. An enrolment
    with no completion status is continuing (U5 enrols an open course without one; B2 sends 1).
    A learner's SA status is PICS's only as far as B1/B2 go: "active" is held by any status but a
    break (SA's own "completed" or "withdrawn" of a learner who ended is not ours to undo).
D2  an SA enrolment is PICS's when its MIS id is one of the learner's qualification ids, or its
    course is one of theirs; any other is reported, never deleted.
D3  a ``Difference`` names the record, the SA resource and the field, never a value.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, get_args

from sync_core.pics_plan import blank

Entity = Literal["learner", "enrolment", "employer", "assessor"]
Direction = Literal["push", "pull"]
# "would …": a dry run's. The order is the drift report's column order.
Action = Literal["pushed", "pulled", "enrolled", "reported", "failed", "would push", "would enrol"]
ENTITIES: tuple[str, ...] = get_args(Entity)
DIRECTIONS: tuple[str, ...] = get_args(Direction)
ACTIONS: tuple[str, ...] = get_args(Action)
REPAIRED: tuple[str, ...] = ("pushed", "pulled", "enrolled")  # the actions that brought the two systems into step
# What SA's blank means for a field whose blank is not "no value" (see the docstring's D1).
BLANK_MEANS: Mapping[str, Any] = {"completionStatus": 1}


@dataclass(frozen=True)
class Difference:
    """One field of one record that PICS and SA disagree on, and what was done (D3). Names only."""

    entity: str  # one of ENTITIES
    sa_resource: str | None  # "learner:<SA id>"; None: not in SA yet (a course a dry run would enrol)
    pics_id: str | None  # Learner Ident, qualification, organisation or officer id; None: not in PICS (D2)
    field: str  # SA's field name
    direction: Direction
    action: Action

    def __post_init__(self) -> None:
        if self.entity not in ENTITIES:
            raise ValueError(f"not a record kind of the drift record: {self.entity}")


def differing(wanted: Mapping[str, Any], held: Mapping[str, Any], kind: str = "") -> dict[str, Any]:
    """D1: the fields of ``wanted`` (SA names → the values the rules push to a ``kind`` of record) whose value
    ``held`` does not hold."""
    return {
        name: value for name, value in wanted.items()
        if not same(name, value, held.get(name)) and not _not_ours(kind, name, value, held.get(name))
    }  # fmt: skip


def _not_ours(kind: str, field: str, ours: Any, theirs: Any) -> bool:
    """B1/B2: out of a break, any SA learner status but a break is as good as "active"."""
    return (kind, field, ours) == ("learner", "status", "active") and theirs != "break_in_learning"


def same(field: str, ours: Any, theirs: Any) -> bool:
    """D1: True when the two values of ``field`` are one value as SA represents it."""
    a, b = _canonical(field, ours), _canonical(field, theirs)
    if isinstance(a, bool) or isinstance(b, bool):  # True == 1 in Python; not in SA's JSON
        return type(a) is type(b) and a == b
    if isinstance(a, Decimal) and isinstance(b, str):
        b = _number(b)
    elif isinstance(b, Decimal) and isinstance(a, str):
        a = _number(a)
    return bool(a == b)


def _canonical(field: str, value: Any) -> Any:
    if blank(value):
        return _canonical(field, BLANK_MEANS[field]) if field in BLANK_MEANS else None
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return Decimal(str(value))
    return value


def _number(text: str) -> Decimal | str:
    """The number a text spells, or the text itself (which then equals no number)."""
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        return text


def unmatched(
    enrolments: Sequence[Mapping[str, Any]], qualification_ids: Collection[str], course_ids: Collection[str]
) -> list[Mapping[str, Any]]:
    """D2: the learner's SA enrolments that are none of PICS's qualifications, by MIS id or by course."""
    return [
        e for e in enrolments
        if e.get("misId") not in qualification_ids and str(e.get("courseId")) not in course_ids
    ]  # fmt: skip
