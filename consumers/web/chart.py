"""The console's charts, laid out here so that the templates only draw them: inline SVG, no script.

The Content-Security-Policy runs no inline script or style, so the bars are SVG shapes whose geometry
is attributes (x, y, width) and whose colours are the style sheet's classes. One bar per field of an
entity, as long as its differences are many against the longest, split by what was done: repaired
(pushed, pulled, enrolled), reported, failed, and a dry run's (would push, would enrol).

The overview's line charts (lag, throughput, parked over the last hours) are a few series of
``(time, value)`` points on one time axis, from 0 to a round top (1, 2 or 5 × 10ⁿ), so the page
needs no charting script from anywhere and works offline. A value of None (not known then, as a
lag Kafka could not tell) or a gap longer than the sampling's breaks the line rather than draw a
guess across it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

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


# --- The overview's line charts: a few series over time, from the console's samples (``samples``) ---

PLOT_LEFT, PLOT_TOP, PLOT_WIDTH, PLOT_HEIGHT, PLOT_BOTTOM = 56, 8, 600, 140, 22

Point = tuple[datetime, float | None]  # a value at a time; None: not known then (the line breaks)


@dataclass(frozen=True)
class Tick:
    """A labelled place on an axis."""

    at: float
    label: str


@dataclass(frozen=True)
class Line:
    """One series: ``runs`` are polylines' ``points`` attributes (a gap or an unknown value breaks the line)."""

    name: str  # also its CSS class
    runs: tuple[str, ...]
    latest: float | None  # the newest known value, shown in the legend
    dot: tuple[float, float] | None  # where that value is drawn


@dataclass(frozen=True)
class LineChart:
    """The lines of a chart, its axes' ticks and the size of the drawing."""

    lines: tuple[Line, ...]
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    left: int = PLOT_LEFT
    right: int = PLOT_LEFT + PLOT_WIDTH
    top: int = PLOT_TOP
    bottom: int = PLOT_TOP + PLOT_HEIGHT
    width: int = PLOT_LEFT + PLOT_WIDTH + 16
    height: int = PLOT_TOP + PLOT_HEIGHT + PLOT_BOTTOM

    @property
    def points(self) -> int:
        """How many values are drawn, over every line."""
        return sum(len(run.split()) for line in self.lines for run in line.runs)


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 5 × 10ⁿ at or above ``value`` (1 for nothing): the y axis's top."""
    if value <= 0:
        return 1.0
    scale = 10.0 ** math.floor(math.log10(value))
    return next(step * scale for step in (1, 2, 5, 10) if step * scale >= value)


def line_chart(series: Mapping[str, Sequence[Point]], gap: timedelta) -> LineChart:
    """``series`` (name → points, oldest first) drawn over their common span of time, from 0 to a round top.

    Two points further apart than ``gap`` are not joined: no sample was taken between them.
    """
    times = [at for points in series.values() for at, _ in points]
    start, end = (min(times), max(times)) if times else (datetime.now(UTC), datetime.now(UTC))
    top = nice_ceiling(max((v for points in series.values() for _, v in points if v is not None), default=0))
    span = (end - start).total_seconds()

    def place(at: datetime, value: float) -> tuple[float, float]:
        x = PLOT_LEFT + (PLOT_WIDTH * (at - start).total_seconds() / span if span else PLOT_WIDTH)
        return round(x, 1), round(PLOT_TOP + PLOT_HEIGHT * (1 - value / top), 1)

    lines = tuple(_line(name, points, gap, place) for name, points in series.items())
    y_ticks = tuple(Tick(PLOT_TOP + PLOT_HEIGHT * (1 - f), _number(top * f)) for f in (0, 0.5, 1))
    x_ticks = (Tick(PLOT_LEFT, f"{start:%H:%M}"), Tick(PLOT_LEFT + PLOT_WIDTH, f"{end:%H:%M} UTC"))
    return LineChart(lines, y_ticks, x_ticks if span else x_ticks[1:])


def _line(name: str, points: Sequence[Point], gap: timedelta, place: Callable[..., tuple[float, float]]) -> Line:
    runs: list[list[str]] = [[]]
    previous: datetime | None = None
    for at, value in points:
        if value is None or (previous is not None and at - previous > gap):
            runs.append([])
        if value is not None:
            x, y = place(at, value)
            runs[-1].append(f"{x},{y}")
        previous = at
    known = [(at, v) for at, v in points if v is not None]
    latest = known[-1] if known else None
    dot = place(*latest) if latest else None
    return Line(name, tuple(" ".join(run) for run in runs if run), latest[1] if latest else None, dot)


def _number(value: float) -> str:
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"
