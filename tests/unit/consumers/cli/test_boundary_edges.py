"""The boundary at the edges an operator meets: Kafka, PostgreSQL and HTTP errors in one line, and a reader
that leaves early (``| head``) ending the command quietly (#16)."""

from __future__ import annotations

import subprocess
import sys

import httpx
import psycopg
import pytest
from confluent_kafka import KafkaError, KafkaException

from consumers.cli import main
from consumers.cli.boundary import BROKEN_PIPE, guarded

SECRET = "s3cret-pw"


def _raising(error: BaseException) -> int:
    raise error


def _http_error(status: int | None) -> httpx.HTTPError:
    request = httpx.Request("GET", f"https://sa.example.org:8443/learners?email=ada@example.org&pw={SECRET}")
    if status is None:
        return httpx.ConnectError(f"refused for ada@example.org {SECRET}", request=request)
    response = httpx.Response(status, request=request)
    return httpx.HTTPStatusError(f"ada@example.org {SECRET}", request=request, response=response)


def _refused_privilege() -> psycopg.Error:
    error = psycopg.errors.InsufficientPrivilege(f"permission denied for ada@example.org {SECRET}")
    assert error.sqlstate == "42501"
    return error


@pytest.mark.parametrize(
    ("error", "line"),
    [
        pytest.param(
            KafkaException(KafkaError(KafkaError._TRANSPORT, f"Failed {SECRET}")),
            "pics-sync: KafkaException: Kafka: _TRANSPORT: the broker did not answer: check "
            "PICS_SYNC_KAFKA_BOOTSTRAP_SERVERS and that the broker is up",
            id="kafka-broker-down",
        ),
        pytest.param(
            psycopg.OperationalError(f"connection to postgresql://u:{SECRET}@db failed"),
            "pics-sync: OperationalError: PostgreSQL did not answer: check PICS_SYNC_DATABASE_URL and that the "
            "server is up",
            id="postgres-down",
        ),
        pytest.param(
            _refused_privilege(),
            "pics-sync: InsufficientPrivilege: PostgreSQL refused it (SQLSTATE 42501): check "
            "PICS_SYNC_DATABASE_URL's user and rights",
            id="postgres-refused",
        ),
        pytest.param(
            _http_error(None), "pics-sync: ConnectError: no answer from https://sa.example.org:8443", id="http-down"
        ),
        pytest.param(
            _http_error(503),
            "pics-sync: HTTPStatusError: https://sa.example.org:8443 answered HTTP 503",
            id="http-status",
        ),
    ],
)
def test_an_edge_error_is_its_class_and_our_words(
    error: Exception, line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Kafka, PostgreSQL and HTTP errors print class and what to check; no library text, path, query or traceback."""
    assert guarded(lambda: _raising(error), debug=False) == 1
    out, err = capsys.readouterr()
    assert out == "" and err == line + "\n"
    assert SECRET not in err and "ada@example.org" not in err and "Traceback" not in err


def test_debug_adds_the_traceback_to_an_edge_error(capsys: pytest.CaptureFixture[str]) -> None:
    """--debug keeps the one line first and adds the frames after it."""
    error = KafkaException(KafkaError(KafkaError._TRANSPORT, "x"))
    assert guarded(lambda: _raising(error), debug=True) == 1
    first, *rest = capsys.readouterr().err.splitlines()
    assert first.startswith("pics-sync: KafkaException: Kafka: _TRANSPORT") and rest[0].startswith("Traceback")


def test_a_reader_that_leaves_early_ends_the_command_quietly() -> None:
    """stdout closed after one line (``| head -1``): exit 141 and nothing on stderr, no BrokenPipeError."""
    writes_a_lot = (
        "import sys\nfrom consumers.cli.boundary import guarded\n"
        "sys.exit(guarded(lambda: [print(n) for n in range(1_000_000)] and 0, debug=False))"
    )
    child = subprocess.Popen([sys.executable, "-c", writes_a_lot], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout is not None and child.stderr is not None
    assert child.stdout.readline() == b"0\n"
    child.stdout.close()
    with child.stderr:
        said = child.stderr.read()
    assert (child.wait(timeout=60), said) == (BROKEN_PIPE, b"")


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    """``pics-sync --version`` prints the installed distribution's version and exits 0."""
    with pytest.raises(SystemExit) as ended:
        main(["--version"])
    assert ended.value.code == 0
    assert (
        capsys.readouterr().out.strip() == f"pics-sync {__import__('importlib.metadata').metadata.version('pics-sync')}"
    )
