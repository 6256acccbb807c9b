"""Console sessions and the sign-in back-off, on a clock the tests move: pure bookkeeping, no HTTP."""

from __future__ import annotations

import pytest

from consumers.web import sessions, throttle
from consumers.web.sessions import Sessions
from consumers.web.throttle import SignInThrottle
from tests.unit.consumers.web.console_app import Clock


def test_session_ids_and_csrf_tokens_are_random_and_distinct() -> None:
    """Each session gets its own 256-bit id and CSRF token."""
    store = Sessions(60)
    made = [store.new(signed_in=True) for _ in range(50)]
    values = {s.id for s in made} | {s.csrf for s in made}
    assert len(values) == 100 and all(len(v) >= 43 for v in values)


def test_a_session_expires_after_its_lifetime() -> None:
    """A session is found until ``ttl_s`` after it was made, and never again."""
    clock = Clock()
    store = Sessions(60, clock)
    session = store.new(signed_in=True)
    clock.advance(59.9)
    assert store.get(session.id) is session
    clock.advance(0.1)
    assert store.get(session.id) is None
    clock.now -= 30  # even were the clock to go back: forgotten is forgotten
    assert store.get(session.id) is None


@pytest.mark.parametrize("given", [None, "", "made-up"])
def test_unknown_ids_find_nothing(given: str | None) -> None:
    """No id, an empty one or one never made finds no session."""
    assert Sessions(60).get(given) is None


def test_csrf_token_check() -> None:
    """Only the session's own CSRF token passes."""
    session = Sessions(60).new(signed_in=False)
    assert session.csrf_ok(session.csrf)
    assert not session.csrf_ok(None) and not session.csrf_ok("") and not session.csrf_ok(session.csrf + "x")


def test_flash_shows_once() -> None:
    """A message kept for a session is taken once."""
    store = Sessions(60)
    session = store.new(signed_in=True)
    store.flash(session, "done")
    assert (store.take_flash(session), store.take_flash(session)) == ("done", None)


def test_a_flood_of_visitors_cannot_evict_a_signed_in_operator() -> None:
    """Anonymous sessions are capped on their own: the oldest visitor goes, the operator stays."""
    store = Sessions(60)
    operator, first = store.new(signed_in=True), store.new(signed_in=False)
    for _ in range(sessions.ANONYMOUS_KEPT):
        store.new(signed_in=False)
    assert store.get(operator.id) is operator and store.get(first.id) is None


def test_dropped_session_is_gone() -> None:
    """A session ended (sign-out) is not found again."""
    store = Sessions(60)
    session = store.new(signed_in=True)
    store.drop(session)
    assert store.get(session.id) is None


def test_back_off_doubles_up_to_the_longest() -> None:
    """After the free failures, each wrong token shuts the client out twice as long, up to LONGEST."""
    clock = Clock()
    guard = SignInThrottle(clock)
    waits = []
    for _ in range(throttle.FREE_FAILURES + 12):
        guard.failed("10.0.0.1")
        waits.append(guard.wait_s("10.0.0.1"))
        clock.advance(waits[-1])
    assert waits[: throttle.FREE_FAILURES] == [0.0] * throttle.FREE_FAILURES
    assert waits[throttle.FREE_FAILURES :][:5] == [1.0, 2.0, 4.0, 8.0, 16.0]
    assert waits[-1] == throttle.LONGEST and guard.wait_s("10.0.0.2") == 0.0


def test_success_forgives() -> None:
    """A right token clears the client's failures."""
    guard = SignInThrottle(Clock())
    for _ in range(throttle.FREE_FAILURES + 1):
        guard.failed("10.0.0.1")
    guard.succeeded("10.0.0.1")
    assert guard.wait_s("10.0.0.1") == 0.0
