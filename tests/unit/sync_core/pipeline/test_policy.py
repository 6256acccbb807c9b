"""The one retry / park / stop decision (``policy.decide``), a row per kind of error, and its stamina runner."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
import stamina

from sync_core.errors import (
    ConfigurationError,
    DatabaseUnavailable,
    GaveUp,
    MappingError,
    SaRateLimited,
    SaRejected,
    SaUnavailable,
    UndecodableEvent,
)
from sync_core.pipeline.policy import LIVE, PULL, REDRIVE, Park, Policy, Retry, Stop, decide
from sync_core.pipeline.retrying import Abandoned, call


@pytest.fixture(autouse=True)
def _no_waits() -> None:
    """stamina's backoff without its sleeps, so the retry tests take no time."""
    stamina.set_testing(True, attempts=100)
    yield
    stamina.set_testing(False)


@pytest.mark.parametrize(
    ("error", "attempt", "policy", "verdict"),
    [
        pytest.param(
            SaUnavailable("503", status=503), 1, LIVE, Retry(None), id="transient-sa-5xx-retries-with-backoff"
        ),
        pytest.param(
            DatabaseUnavailable("the database is unavailable"), 7, LIVE, Retry(None), id="transient-database-retries"
        ),
        pytest.param(SaRateLimited("429", retry_after=2.5), 1, LIVE, Retry(2.5), id="429-waits-retry-after"),
        pytest.param(SaRateLimited("429"), 1, LIVE, Retry(None), id="429-without-retry-after-backs-off"),
        pytest.param(SaRateLimited("429", retry_after=3600.0), 1, LIVE, Retry(300.0), id="retry-after-clamped-to-300s"),
        pytest.param(
            SaRateLimited("429", retry_after=float("inf")), 1, LIVE, Retry(None), id="retry-after-inf-is-no-header"
        ),
        pytest.param(
            SaRateLimited("429", retry_after=float("nan")), 1, LIVE, Retry(None), id="retry-after-nan-is-no-header"
        ),
        pytest.param(SaUnavailable("503"), 1_000_000, LIVE, Retry(None), id="live-never-gives-up"),
        pytest.param(SaUnavailable("503"), 4, REDRIVE, Retry(None), id="redrive-retries-within-its-tries"),
        pytest.param(
            SaUnavailable("503"),
            5,
            REDRIVE,
            Stop("SaUnavailable after 5 tries", gave_up=True),
            id="redrive-stops-after-5",
        ),
        pytest.param(
            DatabaseUnavailable("x"),
            10,
            PULL,
            Stop("DatabaseUnavailable after 10 tries", gave_up=True),
            id="pull-stops-after-10",
        ),
        pytest.param(
            SaRejected("422", status=422),
            1,
            LIVE,
            Park("rejected by Smart Assessor: 422", "SaRejected"),
            id="4xx-parks",
        ),
        pytest.param(
            MappingError("no course", rule="U5"),
            1,
            LIVE,
            Park("cannot be mapped: no course", "MappingError"),
            id="mapping-error-parks",
        ),
        pytest.param(
            UndecodableEvent("bad bytes"),
            1,
            LIVE,
            Park("undecodable: bad bytes", "UndecodableEvent"),
            id="undecodable-parks",
        ),
        pytest.param(
            KeyError("date_of_birth 1990-01-01"),
            1,
            LIVE,
            Park("unexpected KeyError", "KeyError"),
            id="bug-parks-by-class-never-message",
        ),
        pytest.param(
            psycopg.errors.UniqueViolation("Failing row contains (Jane)"),
            1,
            LIVE,
            Park("unexpected UniqueViolation", "UniqueViolation"),
            id="untranslated-psycopg-error-parks",
        ),
        pytest.param(
            OverflowError("cannot convert float infinity"),
            1,
            LIVE,
            Park("unexpected OverflowError", "OverflowError"),
            id="overflow-parks",
        ),
        pytest.param(
            ConfigurationError("Smart Assessor refused the credentials"),
            1,
            LIVE,
            Stop("Smart Assessor refused the credentials"),
            id="fatal-stops",
        ),
        pytest.param(KeyboardInterrupt(), 1, LIVE, Stop("interrupted by KeyboardInterrupt"), id="interrupt-stops"),
    ],
)
def test_decide(error: BaseException, attempt: int, policy: Policy, verdict: object) -> None:
    """Transient retries (Retry-After clamped), permanent and unexpected park by class, fatal stops."""
    assert decide(error, attempt, policy) == verdict


def test_unexpected_reason_never_carries_the_message() -> None:
    """A bug's message may hold personal data: the parked reason names the class only."""
    verdict = decide(ValueError("Jane Smith 07700 900123"), 1, LIVE)
    assert isinstance(verdict, Park) and "Jane" not in verdict.reason and "07700" not in verdict.reason


class Flaky:
    """Fails with ``errors`` in turn, then answers 'done'."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors, self.calls = list(errors), 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


def test_transient_failures_are_retried_until_they_pass() -> None:
    """Two transient failures, then success: three calls, the result returned, each failure heard."""
    heard: list[str] = []
    flaky = Flaky(SaUnavailable("503"), DatabaseUnavailable("down"))
    assert call(flaky, LIVE, on_failure=lambda e: heard.append(type(e).__name__)) == "done"
    assert flaky.calls == 3 and heard == ["SaUnavailable", "DatabaseUnavailable"]


def test_a_parked_error_is_raised_for_the_caller_to_park() -> None:
    """A permanent failure is not retried: the caller gets it, once."""
    flaky = Flaky(SaRejected("422", status=422))
    with pytest.raises(SaRejected):
        call(flaky, LIVE)
    assert flaky.calls == 1


def test_a_fatal_error_is_raised_as_it_is() -> None:
    """SA refusing our credentials stops at once: no retry."""
    flaky = Flaky(SaUnavailable("503"), ConfigurationError("refused"))
    with pytest.raises(ConfigurationError):
        call(flaky, LIVE)
    assert flaky.calls == 2


def test_a_hand_run_tool_gives_up_after_its_tries() -> None:
    """Redrive's five tries of a lasting outage end in GaveUp naming the error, not in an endless wait."""
    flaky = Flaky(*[SaUnavailable("503")] * 9)
    with pytest.raises(GaveUp, match="SaUnavailable after 5 tries"):
        call(flaky, REDRIVE)
    assert flaky.calls == 5


def test_a_long_retry_after_is_cut_short_by_a_stop() -> None:
    """A worker waiting out SA's Retry-After gives up as soon as the loop stops (Abandoned), not after 300 s."""
    stop = threading.Event()
    threading.Timer(0.2, stop.set).start()
    started = time.monotonic()
    with pytest.raises(Abandoned):
        call(Flaky(SaRateLimited("429", retry_after=300.0)), LIVE, stop=stop)
    assert time.monotonic() - started < 5
