"""The pull half of a refresh in the push consumer (R1 v2).

A ``RefreshRequested`` from PICS is the learner's whole synchronisation step: once its comparison with
SA is done (the push half, compare mode), the consumer pulls this learner (P1–P11) as ``pics-sync
refresh`` does: a pull run of its own, so its items have ids of their own and a refresh on the day of
the nightly pull still brings the day's new sessions, hours and progress. The PICS updaters apply them
from ``sa.*`` as they apply the nightly pull's. It asks for no second comparison: it has just made one.
"""

from __future__ import annotations

import threading

from consumers.ops.daily_pull import PullOptions, eligible_learner_pull, pull_producer
from consumers.producer import EventProducer
from consumers.service import Service
from sync_core import clock
from sync_core.pics.eligible import EligibleLearners


class RefreshPulls:
    """``PipelinePorts.pull`` for the push consumer: one learner's pull; the items sent. One producer for
    all its pulls, made at the first (each of its own made a refresh 0.6 s slower)."""

    def __init__(self, service: Service) -> None:
        self._service = service
        self._producer: EventProducer | None = None
        self._making = threading.Lock()

    def _sending(self) -> EventProducer:
        with self._making:
            if self._producer is None:
                self._producer = pull_producer(self._service)
            return self._producer

    def __call__(self, learner_ident: str) -> int:
        learner = EligibleLearners(self._service.pool).one(learner_ident)
        if learner is None:
            return 0  # not a Live learner in SA (Y2): there is nothing of it to pull
        today = clock.today(self._service.config.zone)
        # Not paced at the daily run's rate: a bucket of its own for each refresh would only hold every one
        # back (at 25 calls/s its reads took 40 ms each), never the consumer's total, which the SA client
        # keeps under PICS_SYNC_SA_RATE_LIMIT_PER_S with all the consumer's other calls.
        options = PullOptions(run_date=today, concurrency=1, rate_per_s=None, progress=False, reconcile=False)
        return int(eligible_learner_pull(self._service, options, learner, self._sending())["events"])
