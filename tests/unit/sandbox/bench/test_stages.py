"""The bench's CPU by stage (``sandbox.bench.stages``): each stage counts its own thread CPU, not its inner ones'."""

from __future__ import annotations

import time

from sandbox.bench.stages import StageClock


def _spin(seconds: float) -> None:
    until = time.thread_time() + seconds
    while time.thread_time() < until:
        pass


class Work:
    def outer(self) -> None:
        _spin(0.05)
        self.inner()

    def inner(self) -> None:
        _spin(0.1)


def test_a_stage_inside_another_is_taken_out_of_it_and_the_rest_is_what_no_stage_spent() -> None:
    clock = StageClock({"outer": ((Work, "outer"),), "inner": ((Work, "inner"),)})
    with clock.running():
        Work().outer()
        _spin(0.05)  # in no stage: rest
    figures = clock.ms_per_event(1)
    assert 40 <= figures["outer"] <= 70
    assert 90 <= figures["inner"] <= 130
    assert 40 <= figures["rest"] <= 90
    assert figures["total"] >= 190


def test_the_methods_are_themselves_again_once_the_clock_stops() -> None:
    original = Work.__dict__["inner"]
    with StageClock({"inner": ((Work, "inner"),)}).running():
        assert Work.__dict__["inner"] is not original
    assert Work.__dict__["inner"] is original
