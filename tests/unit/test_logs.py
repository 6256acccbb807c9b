"""Personal data and secrets never reach a log line."""

from __future__ import annotations

import io
import json

import pytest
import structlog

from sync_core.logs import REDACTED, configure_logging, drop_personal_data


@pytest.mark.parametrize(
    ("key", "value"),
    [
        pytest.param("first_name", "Ada", id="name-snake"),
        pytest.param("firstName", "Ada", id="name-camel"),
        pytest.param("surname", "Lovelace", id="surname"),
        pytest.param("date_of_birth", "2001-02-03", id="dob"),
        pytest.param("ni_number", "AB123456C", id="ni-number"),
        pytest.param("email", "ada@example.org", id="email"),
        pytest.param("mobileNumber", "07700900000", id="mobile"),
        pytest.param("address_1", "1 High St", id="address"),
        pytest.param("postcode", "LS1 1AA", id="postcode"),
        pytest.param("ethnicity", "31", id="ethnicity"),
        pytest.param("disability", "Y", id="disability"),
        pytest.param("password", "hunter2", id="password"),
        pytest.param("clientKey", "k", id="client-key"),
    ],
)
def test_personal_keys_are_redacted(key: str, value: str) -> None:
    """Each personal or secret key is replaced by a marker, at the top level and nested."""
    out = drop_personal_data(None, "info", {"event": "x", key: value, "nested": {"inner": [{key: value}]}})
    assert out[key] == REDACTED
    assert out["nested"]["inner"][0][key] == REDACTED


def test_ids_and_outcomes_stay() -> None:
    """Ids, outcomes and reasons an operator needs are kept."""
    event = {"event": "event.processed", "event_id": "e-1", "key": "L1", "outcome": "applied", "sa_calls": 1}
    assert drop_personal_data(None, "info", dict(event)) == event


def test_configured_logger_writes_json_without_personal_data() -> None:
    """The configured pipeline renders JSON lines with personal values gone."""
    stream = io.StringIO()
    configure_logging("INFO", stream=stream)
    structlog.get_logger().info("push.learner_updated", learner_ident="L1", email="ada@example.org")
    structlog.reset_defaults()
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert line["learner_ident"] == "L1" and line["email"] == REDACTED
    assert "ada@example.org" not in stream.getvalue()
