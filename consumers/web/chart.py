"""The Drift page's bar chart, laid out here so that the template only draws it: an inline SVG, no script.

The Content-Security-Policy runs no inline script or style, so the bars are SVG shapes whose geometry
is attributes (x, y, width) and whose colours are the style sheet's classes. One bar per field of an
entity, as long as its differences are many against the longest, split by what was done: repaired
(pushed, pulled, enrolled), reported, failed, and a dry run's (would push, would enrol).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sync_core.state.drift import REPAIRED, DriftCount

KINDS = ("repaired", "reported", "failed", "dry-run")  # the segments, in this order, and their CSS classes
_KIND: Mapping[str, str] = {
    **dict.fromkeys(REPAIRED, "repaired"),
    "reported": "reported",
    "failed": "failed",
    "would push": "dry-run",
    "would enrol": "dry-run",
}
LABEL_WIDTH, BAR_WIDTH, ROW_HEIGHT, BAR_HEIGHT, COUNT_WIDTH = 240, 560, 24, 16, 60


@dataclass(frozen=True)
class Segment:
    """The part of a bar that one kind of action took."""

    kind: str  # one of KINDS
    x: float
    width: float
    count: int


@dataclass(frozen=True)
class Bar:
    """One field of one entity: ``entity.field``, its differences, and where its row is drawn."""

    label: str
    y: int
    total: int
    segments: tuple[Segment, ...]

    @property
    def end(self) -> float:
        """Where the bar ends, for its count beside it."""
        return self.segments[-1].x + self.segments[-1].width if self.segments else float(LABEL_WIDTH)


@dataclass(frozen=True)
class BarChart:
    """The bars, most differences first, and the size of the drawing."""

    bars: tuple[Bar, ...]
    width: int = LABEL_WIDTH + BAR_WIDTH + COUNT_WIDTH
    label_width: int = LABEL_WIDTH
    bar_height: int = BAR_HEIGHT

    @property
    def height(self) -> int:
        """Room for every row."""
        return ROW_HEIGHT * len(self.bars)


def kind_of(action: str) -> str:
    """The segment an action's differences go in."""
    return _KIND.get(action, "failed")  # an action this chart does not know is shown, as the worst kind


def bar_chart(counts: Iterable[DriftCount]) -> BarChart:
    """The chart of ``counts``: one bar per (entity, field), scaled to the longest, most first, then by name."""
    per_field: dict[str, Counter[str]] = {}
    for c in counts:
        per_field.setdefault(f"{c.entity}.{c.field}", Counter())[kind_of(c.action)] += c.count
    ordered = sorted(per_field.items(), key=lambda item: (-item[1].total(), item[0]))
    longest = max((kinds.total() for _, kinds in ordered), default=1) or 1
    return BarChart(tuple(_bar(label, kinds, i * ROW_HEIGHT, longest) for i, (label, kinds) in enumerate(ordered)))


def _bar(label: str, kinds: Counter[str], y: int, longest: int) -> Bar:
    segments, x = [], float(LABEL_WIDTH)
    for kind in KINDS:
        if kinds[kind]:
            width = BAR_WIDTH * kinds[kind] / longest
            segments.append(Segment(kind, round(x, 1), round(width, 1), kinds[kind]))
            x += width
    return Bar(label, y, kinds.total(), tuple(segments))
