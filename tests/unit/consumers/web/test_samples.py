"""The overview's history: samples kept in a bounded ring, taken by a thread, drawn as line charts."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from consumers.ops.status import GroupStatus, ParkedReason, StatusReport
from consumers.web.chart import PLOT_HEIGHT, PLOT_LEFT, PLOT_TOP, PLOT_WIDTH, line_chart, nice_ceiling
from consumers.web.overview import Overview
from consumers.web.queries import OutcomeCount
from consumers.web.samples import Sample, Sampler, Samples, charts, rates
from tests.unit.consumers.web.console_app import Browser, app_of, console

T0 = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)


def sample(minute: int, applied: int = 0, parked: int = 0, push: int | None = 0) -> Sample:
    return Sample(T0 + timedelta(minutes=minute), {"push": push, "pull": 0}, {"applied": applied}, parked)


def test_the_ring_keeps_the_newest_hours_and_each_gathering_once() -> None:
    """Six hours at one a minute is 360 samples, the oldest dropped first; the same gathering twice is kept once."""
    ring = Samples(every_s=60, keep=timedelta(hours=6))
    for minute in range(400):
        assert ring.add(sample(minute))
    assert not ring.add(sample(399))
    kept = ring.all()
    assert len(kept) == 360 and kept[0].at == T0 + timedelta(minutes=40) and kept[-1].at == T0 + timedelta(minutes=399)


def overview(at: datetime, applied: int, parked: int, error: str | None = None) -> Overview:
    groups = (GroupStatus("push", "g", (), (), error=error), GroupStatus("pull", "g-updaters", (), ()))
    report = StatusReport(at, groups, (ParkedReason("r", parked, at),) if parked else ())
    return Overview(report, {"applied": OutcomeCount("applied", applied, 0)})


class Gathered:
    """The overview's figures as the sampler sees them: a fresh gathering after each ``forget``."""

    def __init__(self, *figures: Overview) -> None:
        self.figures, self.forgotten = list(figures), 0

    def forget(self) -> None:
        self.forgotten += 1

    def get(self) -> Overview:
        if not self.figures:
            raise ConnectionError("database away")
        return self.figures.pop(0)


def test_a_sample_is_of_a_fresh_gathering_and_a_failed_one_is_skipped() -> None:
    """The sampler asks for figures of now; Kafka unreadable is an unknown lag, the database away no sample."""
    gathered = Gathered(overview(T0, 5, 2), overview(T0 + timedelta(minutes=1), 9, 3, error="Kafka: down"))
    ring = Samples()
    sampler = Sampler(gathered, ring)
    for _ in range(3):
        sampler.take()
    assert gathered.forgotten == 3
    assert [(s.lag["push"], s.processed["applied"], s.parked) for s in ring.all()] == [(0, 5, 2), (None, 9, 3)]


def test_the_sampler_thread_samples_until_stopped() -> None:
    """Started with the console, it samples every ``every_s`` until its block ends."""
    stamps = [overview(T0 + timedelta(seconds=n), n, 0) for n in range(1000)]
    ring = Samples(every_s=0.01)
    with Sampler(Gathered(*stamps), ring).running():
        deadline = time.monotonic() + 5
        while len(ring.all()) < 3 and time.monotonic() < deadline:
            time.sleep(0.005)
    taken = len(ring.all())
    assert taken >= 3 and len(ring.all()) == taken  # stopped: no more after the block


def test_rates_are_the_rise_per_minute_between_samples_never_negative() -> None:
    """Counters become rates: 60 more applied in 2 minutes is 30 a minute; a discard lowering a total is 0."""
    found = rates([sample(0, applied=100), sample(2, applied=160), sample(3, applied=150)])
    assert found["applied"] == [(T0 + timedelta(minutes=2), 30.0), (T0 + timedelta(minutes=3), 0.0)]
    assert found["parked"] == [(T0 + timedelta(minutes=2), 0.0), (T0 + timedelta(minutes=3), 0.0)]


def test_a_line_spans_the_plot_and_breaks_at_a_gap_or_an_unknown_value() -> None:
    """Oldest at the left, newest at the right, 0 at the bottom, the round top at the top; no guess drawn across
    an unknown value or a gap longer than the sampling's."""
    points = [(T0, 0.0), (T0 + timedelta(minutes=1), 40.0), (T0 + timedelta(minutes=2), None),
              (T0 + timedelta(minutes=3), 50.0), (T0 + timedelta(minutes=10), 25.0)]  # fmt: skip
    chart = line_chart({"push": points}, gap=timedelta(minutes=2.5))
    (line,) = chart.lines
    bottom, right = PLOT_TOP + PLOT_HEIGHT, PLOT_LEFT + PLOT_WIDTH
    assert (
        line.runs[0]
        == f"{PLOT_LEFT:.1f},{bottom:.1f} {PLOT_LEFT + PLOT_WIDTH / 10:.1f},{PLOT_TOP + PLOT_HEIGHT / 5:.1f}"
    )
    assert len(line.runs) == 3 and line.runs[2] == f"{right:.1f},{PLOT_TOP + PLOT_HEIGHT / 2:.1f}"
    assert (line.latest, line.dot) == (25.0, (right, PLOT_TOP + PLOT_HEIGHT / 2))
    assert [t.label for t in chart.y_ticks] == ["0", "25", "50"] and chart.points == 4
    assert [t.label for t in chart.x_ticks] == ["06:00", "06:10 UTC"]


def test_round_tops() -> None:
    """The y axis ends at 1, 2 or 5 × 10ⁿ."""
    assert [nice_ceiling(v) for v in (0, 0.3, 1, 3, 7, 10, 11, 450, 501)] == [1, 0.5, 1, 5, 10, 10, 20, 500, 1000]


def test_the_three_charts_of_the_samples() -> None:
    """Lag per side (push first), throughput per outcome, the DLQ; each line's latest value for its legend."""
    drawn = charts([sample(0, 10, 1, push=3), sample(1, 70, 4, push=8)], every_s=60)
    assert [(line.name, line.latest) for line in drawn["lag"].lines] == [("push", 8), ("pull", 0)]
    assert [(line.name, line.latest) for line in drawn["throughput"].lines] == [
        ("applied", 60.0), ("skipped", 0.0), ("parked", 0.0)
    ]  # fmt: skip
    assert [(line.name, line.latest) for line in drawn["parked"].lines] == [("dlq", 4)]


def test_the_overview_draws_the_charts_once_sampled_and_says_when_not_yet() -> None:
    """The page is SVG and the console's own script only: no chart script from anywhere, so it works offline."""
    fake = console()
    http = Browser(app_of(fake))
    page = http.get("/").text
    assert 'id="chart-lag-none"' in page and "<svg" not in page
    fake.samples.add(sample(0, 10, 1, push=3))
    fake.samples.add(sample(1, 70, 4, push=8))
    page = http.get("/").text
    assert 'id="chart-lag"' in page and 'id="chart-parked"' in page and page.count("<polyline") >= 4
    assert 'id="latest-parked-dlq">4<' in page and 'id="latest-throughput-applied">60.0<' in page
    assert page.count("<script") == 1 and '<script src="/static/console.js" defer>' in page
