"""``bench push --repeat``: each contender reports its median run, not its best (issue #5)."""

from __future__ import annotations

import pytest

from sandbox.bench.push import Figures, _median


@pytest.mark.parametrize(
    ("rates", "reported"),
    [
        pytest.param([700.0], 700.0, id="one-run-is-itself"),
        pytest.param([800.0, 600.0, 700.0], 700.0, id="odd-the-middle"),
        pytest.param([800.0, 600.0], 600.0, id="even-the-lower-middle"),
    ],
)
def test_the_median_run_by_events_per_second(rates: list[float], reported: float) -> None:
    runs = [Figures(events=1000, seconds=1000 / rate) for rate in rates]
    assert _median(runs).as_dict()["events_per_s"] == reported
