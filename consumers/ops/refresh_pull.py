"""The pull half of a refresh in the push consumer (R1 v2).

A ``RefreshRequested`` from PICS is the learner's whole synchronisation step: once its comparison with
SA is done (the push half, compare mode), the consumer pulls this learner (P1–P11) as ``pics-sync
refresh`` does: a pull run of its own, so its items have ids of their own and a refresh on the day of
the nightly pull still brings the day's new sessions, hours and progress. The PICS updaters apply them
from ``sa.*`` as they apply the nightly pull's. It asks for no second comparison: it has just made one.
"""

from __future__ import annotations

from consumers.ops.daily_pull import PullOptions, learner_pull
from consumers.service import Service
from sync_core import clock
from sync_core.pics.eligible import EligibleLearners


class RefreshPulls:
    """``PipelinePorts.pull`` for the push consumer: one learner's pull; the items sent."""

    def __init__(self, service: Service) -> None:
        self._service = service

    def __call__(self, learner_ident: str) -> int:
        if EligibleLearners(self._service.pool).one(learner_ident) is None:
            return 0  # not a Live learner in SA (Y2): there is nothing of it to pull
        today = clock.today(self._service.config.zone)
        options = PullOptions(run_date=today, concurrency=4, progress=False, reconcile=False)
        return int(learner_pull(self._service, options, learner_ident)["events"])
