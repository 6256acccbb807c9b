"""The one exception boundary of ``pics-sync``: whatever escapes a command becomes one line and an exit code.

    ConfigurationError         pics-sync: <our message>                        2
    any other SyncError        pics-sync: <Class>: <our message>               1
    any other Exception        pics-sync: <Class> (unexpected; …)              1
    KeyboardInterrupt          nothing                                         130

Our messages carry ids, never values, and are scrubbed all the same (``sync_core.redaction``).
Another library's message is never printed: it may quote what it was given (psycopg a connection
string with its password, PostgreSQL a row, pydantic an input). With ``--debug`` or
``PICS_SYNC_DEBUG=1`` the traceback follows as the log renders it: frames and our own messages, no
locals, no other message, every string scrubbed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from sync_core.errors import ConfigurationError, SyncError
from sync_core.logs import install_thread_hook, message_of, render_exception
from sync_core.redaction import scrub_text

DEBUG_VARIABLE = "PICS_SYNC_DEBUG"


def debugging(flag: bool) -> bool:
    """``--debug``, or ``PICS_SYNC_DEBUG`` set to anything but empty, 0, false or no."""
    return flag or os.environ.get("PICS_SYNC_DEBUG", "").strip().lower() not in ("", "0", "false", "no")


def guarded(command: Callable[[], int], *, debug: bool) -> int:
    """Run ``command`` and return its exit code; an exception it raises is one line on stderr and a code."""
    install_thread_hook()
    try:
        return command()
    except KeyboardInterrupt:
        return 130
    except Exception as failed:
        print(f"pics-sync: {_line(failed, debug)}", file=sys.stderr)
        if debug:
            print(scrub_text(render_exception((type(failed), failed, failed.__traceback__))), file=sys.stderr, end="")
        return 2 if isinstance(failed, ConfigurationError) else 1


def _line(failed: Exception, debug: bool) -> str:
    if isinstance(failed, ConfigurationError):
        return message_of(failed) or ""
    if isinstance(failed, SyncError):
        return f"{type(failed).__name__}: {message_of(failed)}"
    hint = "the traceback follows" if debug else f"--debug or {DEBUG_VARIABLE}=1 shows where"
    return f"{type(failed).__name__} (unexpected; its message is not shown, as it may quote data; {hint})"
