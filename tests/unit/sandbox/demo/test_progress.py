"""The demo's progress lines: one per phase, on the stream given (stderr), with the phase's counts."""

from __future__ import annotations

import io
from collections import Counter
from itertools import count

import pytest

from sandbox.demo.progress import PHASES, Progress
from sync_core.config import load_config
from sync_core.outcome import Kind, Tally


def reporter() -> tuple[Progress, io.StringIO]:
    """A reporter on a buffer whose clock ticks a second a call."""
    out, ticks = io.StringIO(), count()
    return Progress(out=out, clock=lambda: float(next(ticks))), out


def test_each_phase_is_one_line_with_its_counts_and_the_time_since_the_start() -> None:
    """stack, enrolments, changes, pushing, pull, checks: each line names its phase and its counts, in order."""
    progress, out = reporter()
    progress.phase("stack", "starting Kafka, PostgreSQL and the SA sandbox…")
    progress.phase("enrolments", "sent", learners_in_pics=40, events=38)
    progress.phase("changes", "sent", changes=300, deliveries_in_all=345)
    progress.pushed(Tally(kinds=Counter({Kind.APPLIED: 300, Kind.SKIPPED: 38, Kind.DUPLICATE: 7}), sa_calls=410))
    progress.phase("pull", "daily run", learners_eligible=30, learners_read=30, events=120, pics_rows_changed=99)
    progress.phase("checks", "PICS against SA", pics_fields=1200, mismatches=0)
    assert out.getvalue().splitlines() == [
        "demo [+0.0s] stack: starting Kafka, PostgreSQL and the SA sandbox…",
        "demo [+1.0s] enrolments: sent (40 learners in pics, 38 events)",
        "demo [+2.0s] changes: sent (300 changes, 345 deliveries in all)",
        "demo [+3.0s] pushing: drained (345 events, 300 applied, 38 skipped, 7 duplicates, 0 parked, 410 sa calls)",
        "demo [+4.0s] pull: daily run (30 learners eligible, 30 learners read, 120 events, 99 pics rows changed)",
        "demo [+5.0s] checks: PICS against SA (1200 pics fields, 0 mismatches)",
    ]
    assert PHASES == ("stack", "enrolments", "changes", "pushing", "pull", "checks")


def test_with_several_profiles_each_line_names_its_profile_and_the_first_profile_is_kept() -> None:
    """--profile all: lines say which profile; ``first`` is the configuration `demo --keep` runs on."""
    progress, out = reporter()
    progress.named = True
    first, second = load_config(topic_prefix="demo-a."), load_config(topic_prefix="demo-b.")
    progress.profile("all-push", first)
    progress.phase("changes", changes=3)
    progress.profile("all-none", second)
    progress.phase("changes", changes=4)
    assert out.getvalue().splitlines() == ["demo [+0.0s] all-push changes: 3 changes",
                                           "demo [+1.0s] all-none changes: 4 changes"]  # fmt: skip
    assert progress.first is first


def test_a_reporter_without_a_stream_is_silent_and_an_unknown_phase_is_refused() -> None:
    """``out=None`` (the benches) prints nothing; a phase outside the list is a mistake, not a new line."""
    silent = Progress(out=None)
    silent.phase("stack", "starting")
    with pytest.raises(ValueError, match="unknown demo phase 'warming'"):
        silent.phase("warming")
