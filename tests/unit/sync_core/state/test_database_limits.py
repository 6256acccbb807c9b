"""Database limits from PICS_SYNC_DATABASE_*: the libpq parameters every connection is made with."""

from __future__ import annotations

import pytest
from psycopg.conninfo import conninfo_to_dict

from sync_core.config import load_config
from sync_core.errors import ConfigurationError
from sync_core.state.database import ANSWER_GRACE_S, Limits, limits_of, with_limits

URL = "postgresql://sync:pw-secret@db.internal:5432/sync"
TCP = {"keepalives": "1", "keepalives_idle": "30", "keepalives_interval": "10", "keepalives_count": "3",
       "tcp_user_timeout": "30000", "connect_timeout": "10"}  # fmt: skip


def params(url: str, **environment: str) -> dict[str, str]:
    """The connection parameters ``url`` gets under the configuration of ``environment``."""
    config = load_config(**environment)
    return {k: v for k, v in conninfo_to_dict(with_limits(url, limits_of(config))).items() if v is not None}


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        pytest.param({}, TCP | {"options": "-c statement_timeout=30000"}, id="defaults"),
        pytest.param(
            {"database_statement_timeout_s": 0, "database_tcp_user_timeout_s": 0},
            {k: v for k, v in TCP.items() if k != "tcp_user_timeout"},
            id="zero-turns-a-limit-off",
        ),
        pytest.param(
            {"database_keepalives": False, "database_connect_timeout_s": 3},
            {
                "keepalives": "0",
                "tcp_user_timeout": "30000",
                "connect_timeout": "3",
                "options": "-c statement_timeout=30000",
            },
            id="keepalives-off",
        ),
    ],
)
def test_every_connection_gets_the_configured_limits(environment: dict[str, object], expected: dict[str, str]) -> None:
    """Connect timeout, TCP keepalives, tcp_user_timeout and the server's statement timeout, as configured."""
    given = {"user": "sync", "password": "pw-secret", "host": "db.internal", "port": "5432", "dbname": "sync"}
    assert params(URL, **{k: str(v) for k, v in environment.items()}) == given | expected


def test_the_statement_timeout_joins_the_options_the_url_sets() -> None:
    """An ``options`` in the URL (a search path) is kept, the statement timeout added after it."""
    found = params(URL + "?options=-csearch_path%3Dsync")
    assert found["options"] == "-csearch_path=sync -c statement_timeout=30000"


def test_a_migration_has_no_statement_timeout() -> None:
    """Migrations may rewrite a large table or wait for another process's: no statement timeout."""
    limits = limits_of(load_config())
    assert "options" not in conninfo_to_dict(with_limits(URL, limits, statements=False))


@pytest.mark.parametrize(
    ("statement_timeout_s", "answer_within_s"),
    [pytest.param(30.0, 30.0 + ANSWER_GRACE_S, id="the-timeout-and-its-grace"), pytest.param(0.0, None, id="none")],
)
def test_the_client_waits_for_an_answer_a_grace_past_the_statement_timeout(
    statement_timeout_s: float, answer_within_s: float | None
) -> None:
    """The server cancels a slow statement first; a connection silent past that and the grace is dead."""
    limits = Limits(10, statement_timeout_s, 30.0, True, 30, 10, 3)
    assert limits.answer_within_s == answer_within_s


def test_a_url_psycopg_cannot_read_is_one_line_without_its_password() -> None:
    """A mistyped URL is a ConfigurationError naming the variable, never quoting the URL."""
    with pytest.raises(ConfigurationError) as bad:
        with_limits("postgresql://sync:pw-secret@db.internal:notaport/sync?sslmode", None)
    assert "PICS_SYNC_DATABASE_URL" in str(bad.value) and "pw-secret" not in str(bad.value)


def test_a_side_pool_too_small_for_a_redrive_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A console redrive holds up to three connections at once: a smaller side pool is refused at start."""
    monkeypatch.setenv("PICS_SYNC_DATABASE_SIDE_POOL_SIZE", "2")
    with pytest.raises(ConfigurationError, match="PICS_SYNC_DATABASE_SIDE_POOL_SIZE"):
        load_config()
