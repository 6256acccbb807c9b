"""The one exception boundary of ``pics-sync``: whatever escapes a command becomes one line and an exit code.

    ConfigurationError         pics-sync: <our message>                        2
    any other SyncError        pics-sync: <Class>: <our message>               1
    Kafka, PostgreSQL or HTTP  pics-sync: <Class>: <our words for it>          1
      (KafkaException, psycopg.Error, httpx.HTTPError)
    any other Exception        pics-sync: <Class> (unexpected; …)              1
    stdout closed early        nothing (``| head`` read what it wanted)        141
    KeyboardInterrupt          nothing                                         130

Our messages carry ids, never values, and are scrubbed all the same (``sync_core.redaction``).
Another library's message is never printed: it may quote what it was given (psycopg a connection
string with its password, PostgreSQL a row, pydantic an input). For the three libraries an operator
meets at the edges, our words say what failed from what the error holds that quotes no value: Kafka's
code, PostgreSQL's SQLSTATE, the HTTP status and the server's origin. With ``--debug`` or
``PICS_SYNC_DEBUG=1`` the traceback follows as the log renders it: frames and our own messages, no
locals, no other message, every string scrubbed.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable

import httpx
import psycopg

from consumers.kafka.failures import describe as describe_kafka
from sync_core.errors import ConfigurationError, SyncError
from sync_core.logs import install_thread_hook, message_of, render_exception
from sync_core.redaction import scrub_text

DEBUG_VARIABLE = "PICS_SYNC_DEBUG"
BROKEN_PIPE = 128 + 13  # what a shell reports for a command that SIGPIPE ended, as `yes | head` does


def debugging(flag: bool) -> bool:
    """``--debug``, or ``PICS_SYNC_DEBUG`` set to anything but empty, 0, false or no."""
    return flag or os.environ.get("PICS_SYNC_DEBUG", "").strip().lower() not in ("", "0", "false", "no")


def guarded(command: Callable[[], int], *, debug: bool) -> int:
    """Run ``command`` and return its exit code; an exception it raises is one line on stderr and a code."""
    install_thread_hook()
    try:
        code = command()
        sys.stdout.flush()  # here, not at exit: a reader gone away is then a BrokenPipeError we can catch
        return code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return _reader_gone()
    except Exception as failed:
        _say(f"pics-sync: {_line(failed, debug)}")
        if debug:
            _say(scrub_text(render_exception((type(failed), failed, failed.__traceback__))), end="")
        return 2 if isinstance(failed, ConfigurationError) else 1


def _reader_gone() -> int:
    """stdout's reader left (``| head``): point stdout at /dev/null so the exit's own flush fails no more."""
    with contextlib.suppress(OSError, ValueError):  # a stdout with no descriptor (a test's) has no flush to fail
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return BROKEN_PIPE


def _say(text: str, end: str = "\n") -> None:
    with contextlib.suppress(BrokenPipeError):  # stderr's reader is gone too: there is no one left to tell
        print(text, file=sys.stderr, end=end)


def _line(failed: Exception, debug: bool) -> str:
    if isinstance(failed, ConfigurationError):
        return message_of(failed) or ""
    if isinstance(failed, SyncError):
        return f"{type(failed).__name__}: {message_of(failed)}"
    ours = describe_kafka(failed) or _describe_postgres(failed) or _describe_http(failed)
    if ours is not None:
        return f"{type(failed).__name__}: {scrub_text(ours)}"
    hint = "the traceback follows" if debug else f"--debug or {DEBUG_VARIABLE}=1 shows where"
    return f"{type(failed).__name__} (unexpected; its message is not shown, as it may quote data; {hint})"


def _describe_postgres(failed: Exception) -> str | None:
    """The SQLSTATE PostgreSQL answered, or that it did not answer; never its message (it may quote a row)."""
    if not isinstance(failed, psycopg.Error):
        return None
    if failed.sqlstate:
        return f"PostgreSQL refused it (SQLSTATE {failed.sqlstate}): check PICS_SYNC_DATABASE_URL's user and rights"
    return "PostgreSQL did not answer: check PICS_SYNC_DATABASE_URL and that the server is up"


def _describe_http(failed: Exception) -> str | None:
    """The server's origin and its status; never the path or query, which may hold an e-mail or a postcode."""
    if not isinstance(failed, httpx.HTTPError):
        return None
    try:
        url = failed.request.url
    except RuntimeError:  # an error raised without its request
        return "an HTTP request failed"
    origin = f"{url.scheme}://{url.host}" + (f":{url.port}" if url.port else "")
    if isinstance(failed, httpx.HTTPStatusError):
        return f"{origin} answered HTTP {failed.response.status_code}"
    return f"no answer from {origin}"
