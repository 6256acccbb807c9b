"""Personal data and secrets never reach a log line."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator

import httpx
import pytest
import stamina
import stamina.instrumentation
import structlog

from sync_core.errors import MappingError
from sync_core.logs import REDACTED, configure_logging, drop_personal_data, install_thread_hook


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """Logging configured at DEBUG into a buffer; structlog, stamina's hooks and the stdlib levels restored afterwards."""
    levels = {name: logging.getLogger(name).level for name in ("httpx", "httpcore")}
    stream = io.StringIO()
    configure_logging("DEBUG", stream=stream)
    yield stream
    structlog.reset_defaults()
    stamina.instrumentation.set_on_retry_hooks(None)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


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
    """Each personal or secret key is replaced by a marker, at the top level and nested under a loggable key."""
    out = drop_personal_data(None, "info", {"event": "x", key: value, "reason": {"rule": [{key: value}]}})
    assert out[key] == REDACTED
    assert out["reason"]["rule"][0][key] == REDACTED


def test_ids_and_outcomes_stay() -> None:
    """Ids, outcomes and reasons an operator needs are kept."""
    event = {"event": "event.processed", "event_id": "e-1", "key": "L1", "outcome": "applied", "sa_calls": 1}
    assert drop_personal_data(None, "info", dict(event)) == event


def test_configured_logger_writes_json_without_personal_data(log_stream: io.StringIO) -> None:
    """The configured pipeline renders JSON lines with personal values gone."""
    structlog.get_logger().info("push.learner_updated", learner_ident="L1", email="ada@example.org")
    line = json.loads(log_stream.getvalue().strip().splitlines()[-1])
    assert line["learner_ident"] == "L1" and line["email"] == REDACTED
    assert "ada@example.org" not in log_stream.getvalue()


def test_httpx_request_urls_are_not_logged_below_warning(
    log_stream: io.StringIO, caplog: pytest.LogCaptureFixture
) -> None:
    """Even with a stdlib handler at DEBUG, httpx's INFO line with a search URL (e-mail in the query) is not emitted."""
    caplog.set_level(logging.DEBUG)
    with httpx.Client(transport=httpx.MockTransport(lambda _request: httpx.Response(200, json=[]))) as client:
        client.get("https://sa.example/api/learners", params={"email": "ada@example.org", "postcode": "LS1 1AA"})
    assert [r for r in caplog.records if r.name.startswith(("httpx", "httpcore"))] == []
    assert "ada@example.org" not in caplog.text + log_stream.getvalue()


def test_retry_line_names_the_callable_but_not_its_arguments(log_stream: io.StringIO) -> None:
    """A stamina retry of a call given a personal value logs callable, attempt, wait and error class only."""
    calls: list[str] = []

    @stamina.retry(on=ValueError, attempts=2)
    def push(email: str) -> None:
        calls.append(email)
        if len(calls) == 1:
            raise ValueError(f"SA refused {email}")

    with stamina.set_testing(True, attempts=2):
        push("ada@example.org")
    [line] = [json.loads(text) for text in log_stream.getvalue().splitlines()]
    assert line["event"] == "retry.scheduled" and line["callable"].endswith("push")
    assert (line["attempt"], line["wait_s"], line["error"]) == (1, 0.0, "ValueError")
    assert "ada@example.org" not in log_stream.getvalue()


EMAIL = "ada@example.org"  # a name, not a literal, at the raising lines: the traceback quotes their source


def _refuse(email: str) -> None:
    raise KeyError(email)


def _fail_mapping(email: str) -> None:
    try:
        _refuse(email)
    except KeyError as missing:
        raise MappingError("no SA learner is linked to PICS record L1", rule="U2") from missing


def test_exception_shows_our_message_but_not_another_librarys_nor_locals(log_stream: io.StringIO) -> None:
    """A logged exception keeps its frames and our error's message; a foreign message and the frames' locals are left out."""
    try:
        _fail_mapping(EMAIL)
    except MappingError:
        structlog.get_logger().exception("event.failed", key="L1")
    line = json.loads(log_stream.getvalue())
    assert "sync_core.errors.MappingError: no SA learner is linked to PICS record L1" in line["exception"]
    assert f"builtins.KeyError: {REDACTED}" in line["exception"] and "in _refuse" in line["exception"]
    assert "ada@example.org" not in log_stream.getvalue()


def test_exc_info_given_as_a_tuple_is_rendered(log_stream: io.StringIO) -> None:
    """An exc_info tuple logged outside its except block is still rendered, by the same safe renderer."""
    try:
        _refuse(EMAIL)
    except KeyError as missing:
        caught = (type(missing), missing, missing.__traceback__)
    structlog.get_logger().error("event.failed", exc_info=caught)
    line = json.loads(log_stream.getvalue())
    assert f"builtins.KeyError: {REDACTED}" in line["exception"]
    assert "ada@example.org" not in log_stream.getvalue()


def test_our_exception_message_is_scrubbed_of_personal_values(log_stream: io.StringIO) -> None:
    """Even our own message, if it quotes a date of birth or a phone number, reaches the line with them replaced."""
    try:
        raise MappingError("date of birth 2001-02-03 after start; call 07700 900123", rule="L1")
    except MappingError:
        structlog.get_logger().exception("event.failed", key="L1")
    text = log_stream.getvalue()
    assert "2001-02-03" not in text and "900123" not in text and "[date]" in json.loads(text)["exception"]


def test_a_thread_that_dies_is_one_log_line_by_class(log_stream: io.StringIO, monkeypatch: pytest.MonkeyPatch) -> None:
    """threading.excepthook logs the thread, the error's class and our message; another library's message is left out."""
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)  # put back whatever pytest had
    install_thread_hook()

    def fail(error: Exception) -> None:
        raise error

    for error in (KeyError(EMAIL), MappingError("no SA learner is linked to PICS record L1")):
        thread = threading.Thread(target=fail, args=(error,), name="push-0")
        thread.start()
        thread.join()
    lines = [json.loads(line) for line in log_stream.getvalue().splitlines()]
    assert [(line["event"], line["thread"], line["error"], line["reason"]) for line in lines] == [
        ("thread.failed", "push-0", "KeyError", None),
        ("thread.failed", "push-0", "MappingError", "no SA learner is linked to PICS record L1"),
    ]
    assert EMAIL not in log_stream.getvalue()
