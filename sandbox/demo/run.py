"""``pics-sync demo``: a simulated PICS enrols learners, then makes every kind of change; the push
consumer keeps SA in step; an oracle written from DOMAIN.md checks SA, then the daily run (its pull and
its drift report), record by record.

Each settings profile (``profiles``) is a run of its own (``profile_run``): its own topic prefix, record
prefix, consumer group and database. The summary's top-level figures are ``all-push``'s when it ran;
``profiles`` holds every profile's. The verdict (``passed``) asks every profile to be right, not just to
have run.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable, Mapping
from typing import Any

from sandbox.demo.profile_run import run_profile
from sandbox.demo.profiles import ALL_PUSH, DEFAULT_PROFILE, chosen
from sandbox.demo.progress import Progress
from sandbox.demo.sa_side import Night
from sandbox.demo.sending import DemoSize, JournalTally, Sender
from sync_core.config import RuntimeConfig

__all__ = ["DEMO_SETTINGS", "DemoSize", "JournalTally", "Sender", "passed", "run_demo"]

# Every push on, so every rule has work to do (the benches and the scenarios use it too).
DEMO_SETTINGS = ALL_PUSH
CallCounts = Callable[[], Mapping[str, int]]


def run_demo(
    config: RuntimeConfig,
    size: DemoSize,
    sa_call_counts: CallCounts | None = None,
    night: Night | None = None,
    profile: str = DEFAULT_PROFILE,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Every chosen profile, one after another; the summary with each profile's figures. ``progress`` hears
    of each phase (none by default)."""
    started, results, profiles = time.monotonic(), {}, chosen(profile)
    progress = progress or Progress(out=None)
    progress.named = len(profiles) > 1
    for n, each in enumerate(profiles):
        try:
            results[each.name] = run_profile(config, each, size, night, own_database=n > 0, progress=progress)
        except Exception as failed:  # one profile's failure is reported, and the others still run
            traceback.print_exc(file=sys.stderr)
            results[each.name] = {"error": f"{type(failed).__name__}: {str(failed)[:200]}"}
        results[each.name]["passed"] = profile_passed(results[each.name])
    top = {k: v for k, v in results.get("all-push", {}).items() if k != "passed"}
    calls = dict(sa_call_counts()) if sa_call_counts else {}
    seconds = round(time.monotonic() - started, 2)
    return {**top, "sa_calls_seen_by_sandbox": calls, "seconds": seconds, "profiles": results}


def profile_passed(figures: Mapping[str, Any]) -> bool:
    """One profile's verdict: SA and PICS as DOMAIN says, no duplicate, every event where the rules put it,
    and the daily run's drift report naming exactly the differences the demo knows of, each repaired."""
    if "error" in figures:
        return False
    accounted = figures["events_applied"] + figures["duplicates_skipped"] + figures["events_skipped_expected"]
    wrong = ("field_mismatches", "sa_duplicate_records", "pics_mismatches", "events_parked", "pull_events_parked",
             "events_skipped_unexpected", "events_applied_unexpected", "events_unaccounted", "drift_missing",
             "drift_unexpected", "hand_edited_fields_wrong", "reconcile_events_parked")  # fmt: skip
    return bool(
        all(figures[name] == 0 for name in wrong)
        and accounted == figures["events_produced"]
        and figures["sa_learners_matching_pics"] == figures["sa_learners_total"]
        and figures["reconcile_requested"] == figures["pull_learners_eligible_expected"]  # D1: each learner compared
        and figures["drift_found"] == figures["drift_repaired"] == figures["drift_expected"]  # D3: all repaired
    )


def passed(result: Mapping[str, Any]) -> bool:
    """The demo's own verdict: every profile it ran passed."""
    profiles = result.get("profiles", {})
    return bool(profiles) and all(profile_passed(figures) for figures in profiles.values())
