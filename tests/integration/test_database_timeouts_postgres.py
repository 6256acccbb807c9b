"""A database that stops answering, through a TCP proxy in front of the real PostgreSQL.

Contract: a connection that goes half-open (the proxy stays connected and forwards nothing) or is
closed makes a ledger call, and the consume loop's poll, give up within the configured statement
timeout and its grace (``PICS_SYNC_DATABASE_STATEMENT_TIMEOUT_S``, ``sync_core.state.database``),
as ``DatabaseUnavailable`` with a one-line message and no password; the poll goes on, and once the
database answers again the event is processed. Without the limits a half-open connection hangs the
poll thread for as long as the kernel retransmits (~15 minutes). The side pool of the console,
/readyz and the heartbeat answers while every connection of the workers' pool is taken.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import psycopg
import pytest
import structlog
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool
from pydantic import SecretStr

from consumers.kafka.clients import make_consumer
from consumers.loop import ParallelLoop
from consumers.metrics import watched
from consumers.producer import EventProducer
from consumers.service import Service, open_service
from consumers.web import health
from sandbox.pics.people import People
from sandbox.stack.local import Stack
from sandbox.stack.postgres import fresh_database
from sync_core.config import RuntimeConfig, kafka_settings, load_config
from sync_core.errors import DatabaseUnavailable
from sync_core.outcome import Kind
from sync_core.pipeline.admission import NOTHING_KNOWN
from sync_core.serde import new_event
from sync_core.state.database import ANSWER_GRACE_S, limits_of, open_pool
from sync_core.state.heartbeats import Beat, Heartbeats
from sync_core.state.ledger import Ledger
from tests.integration.db_proxy import DatabaseProxy
from tests.support import wait_until

pytestmark = pytest.mark.integration

STATEMENT_TIMEOUT_S = 2.0
GIVES_UP_WITHIN_S = STATEMENT_TIMEOUT_S + ANSWER_GRACE_S + 5.0  # the configured bound, and a margin for a busy machine
# Put in the URL when it has none (the embedded server trusts its socket and ignores it): no output may show it.
MARKER = "pw-" + uuid.uuid4().hex
LIMITS = {"database_statement_timeout_s": STATEMENT_TIMEOUT_S, "database_connect_timeout_s": 2}


def timed(call: Callable[[], object], within: float) -> tuple[float, BaseException | None]:
    """(seconds taken, what it raised) of ``call``, run on a thread; fails if it still runs after ``within``."""
    raised: list[BaseException] = []

    def run() -> None:
        try:
            call()
        except BaseException as error:
            raised.append(error)

    thread = threading.Thread(target=run, daemon=True)
    started = time.monotonic()
    thread.start()
    thread.join(within)
    elapsed = time.monotonic() - started
    assert not thread.is_alive(), f"still waiting for the database after {elapsed:.0f} s"
    return elapsed, raised[0] if raised else None


def with_password(proxy: DatabaseProxy) -> tuple[str, str]:
    """(the URL through the proxy, its password): the server's own, or ``MARKER``."""
    password = str(conninfo_to_dict(proxy.url()).get("password") or MARKER)
    return proxy.url(password=password), password


def proxied(config: RuntimeConfig, proxy: DatabaseProxy) -> tuple[RuntimeConfig, str]:
    """``config`` on the proxy with a short statement timeout, and the password to look for."""
    url, password = with_password(proxy)
    return load_config(**{**config.model_dump(), "database_url": SecretStr(url), **LIMITS}), password


def assert_clear(error: BaseException | None, password: str) -> None:
    assert isinstance(error, DatabaseUnavailable), repr(error)
    message = str(error)
    assert message.startswith("the database is unavailable") and "\n" not in message
    assert password not in message


def sleep(pool: ConnectionPool, seconds: float) -> None:
    with pool.connection() as conn:
        conn.execute("SELECT pg_sleep(%s)", (seconds,))


@pytest.fixture
def proxy(stack: Stack) -> Iterator[DatabaseProxy]:
    """A proxy to a fresh database of the session's server."""
    with DatabaseProxy(fresh_database(stack.database_url)) as running:
        yield running


ASKED = [(str(uuid.uuid4()), "pics.learner", "L-1")]


@pytest.mark.parametrize(
    ("fail", "says"),
    [
        pytest.param(
            DatabaseProxy.silence, f"no answer within {STATEMENT_TIMEOUT_S + ANSWER_GRACE_S:g} s", id="half-open"
        ),
        pytest.param(DatabaseProxy.cut, "OperationalError", id="closed"),
    ],
)
def test_a_ledger_call_gives_up_within_the_configured_timeout(
    proxy: DatabaseProxy, fail: Callable[[DatabaseProxy], None], says: str, capfd: pytest.CaptureFixture[str]
) -> None:
    """A ledger call on a connection gone half-open or closed raises DatabaseUnavailable within the
    statement timeout and its grace, in one line naming why, with no password anywhere."""
    url, password = with_password(proxy)
    config = load_config(database_url=SecretStr(url), **LIMITS)
    with open_pool(config.database_url.get_secret_value(), max_size=2, limits=limits_of(config)) as pool:
        ledger = Ledger(pool)
        assert ledger.priors(ASKED) == {ASKED[0][0]: NOTHING_KNOWN}  # through the proxy
        fail(proxy)
        elapsed, error = timed(lambda: ledger.priors(ASKED), within=GIVES_UP_WITHIN_S)
    assert_clear(error, password)
    assert str(error).endswith(says)
    assert elapsed < GIVES_UP_WITHIN_S
    out, err = capfd.readouterr()
    assert password not in out + err


def test_a_pooled_connection_carries_the_limits_and_a_slow_statement_is_cancelled(proxy: DatabaseProxy) -> None:
    """Over TCP a pooled connection has the configured keepalives, tcp_user_timeout and statement timeout;
    a statement past the timeout is cancelled by the server, as DatabaseUnavailable naming QueryCanceled."""
    url, _password = with_password(proxy)
    config = load_config(database_url=SecretStr(url), **LIMITS)
    with open_pool(url, max_size=1, limits=limits_of(config)) as pool:
        with pool.connection() as conn:
            shown = conn.execute("SHOW statement_timeout").fetchone()
            parameters = conn.info.get_parameters()
        assert shown == ("2s",)
        assert {"keepalives": "1", "keepalives_idle": "30", "tcp_user_timeout": "30000"}.items() <= parameters.items()
        elapsed, error = timed(lambda: sleep(pool, 30), within=30.0)
    assert isinstance(error, DatabaseUnavailable) and str(error).endswith("QueryCanceled")
    assert STATEMENT_TIMEOUT_S <= elapsed < GIVES_UP_WITHIN_S


def test_the_poll_thread_gives_up_on_a_silent_database_and_goes_on(
    config: RuntimeConfig, producer: EventProducer, capfd: pytest.CaptureFixture[str]
) -> None:
    """The poll that meets a half-open database connection returns within the configured bound (the
    poll's ledger check fails as DatabaseUnavailable and the event asks on its own); once the
    database answers again the event is processed, and no output shows the password."""
    with ExitStack() as stack_of:
        proxy = stack_of.enter_context(DatabaseProxy(config.database_url.get_secret_value()))
        slow, password = proxied(config, proxy)
        service = stack_of.enter_context(open_service(slow))
        loop = ParallelLoop(watched(make_consumer(kafka_settings(config), config.kafka_group_id)), service.ports, 2)
        stack_of.callback(loop.consumer.close)
        stack_of.callback(loop.shutdown)  # first: its workers may still wait for the database
        loop.subscribe([config.topic_prefix + "pics.learner"])
        wait_until(lambda: loop.poll_once() >= 0 and loop.consumer.assignment(), timeout=60)
        proxy.silence()
        producer.send("pics.learner", "L-1", new_event("LearnerEdited", {"learner": People(1).learner("L-1")}))
        producer.flush()
        with structlog.testing.capture_logs() as logs:
            elapsed, error = timed(lambda: wait_until(loop.poll_once, timeout=GIVES_UP_WITHIN_S), GIVES_UP_WITHIN_S)
        assert error is None and elapsed < GIVES_UP_WITHIN_S
        failed = [line for line in logs if line["event"] == "ledger.poll_check_failed"]
        assert failed and failed[0]["error"] == "DatabaseUnavailable"
        proxy.speak()
        wait_until(lambda: loop.poll_once() >= 0 and loop.tally.count(Kind.SKIPPED), timeout=60)  # S1: off
    out, err = capfd.readouterr()
    assert password not in out + err


def test_the_side_pool_answers_while_the_workers_hold_every_connection(config: RuntimeConfig) -> None:
    """With every connection of the workers' pool taken, /readyz's database check and the heartbeat
    still answer at once, on the side pool (PICS_SYNC_DATABASE_SIDE_POOL_SIZE)."""
    with open_service(config) as service, ExitStack() as held:
        assert service.pool.max_size is not None
        for _ in range(service.pool.max_size):
            held.enter_context(service.pool.connection())
        assert health.database(service.side.pool)() is None
        Heartbeats(service.side.pool).beat(Beat("m-1", config.kafka_group_id, "push", "closed", 0))
        with pytest.raises(DatabaseUnavailable):  # the workers' pool is full indeed
            health.database(service.pool, timeout=0.5)()


def test_the_service_gives_the_side_its_own_pool(service: Service) -> None:
    """The service's side is a second, smaller pool with its own ports, sharing the SA client."""
    assert service.side.pool is not service.pool
    assert service.side.pool.max_size == service.config.database_side_pool_size
    assert service.side.ports.ledger is not service.ports.ledger and service.side.sa is service.sa


def test_a_statement_no_retry_can_mend_is_not_the_database_being_away(service: Service) -> None:
    """A row too big for its index (PostgreSQL's program limit) raises as it is, so the event parks; it is
    not ``DatabaseUnavailable``, which the live loop would retry for ever."""
    with pytest.raises(psycopg.errors.ProgramLimitExceeded), service.pool.connection() as conn:
        conn.execute("CREATE TEMP TABLE too_long (k text PRIMARY KEY)")
        conn.execute("INSERT INTO too_long SELECT string_agg(md5(random()::text), '') FROM generate_series(1, 400)")
