"""The ``PICS_SYNC_*`` variables that point ``pics-sync`` at a running local stack, and their ``export`` lines.

They hold every credential the stack set, the SA sandbox's username, password and client key included, so a
``run`` or ``status`` started after them reaches the stack without a 401. A database URL the operator gave
(``DATABASE_URL``, ``PICS_SYNC_DATABASE_URL``) is theirs: it is shown with its password masked, as
everywhere else; one the stack started (the embedded server, a container) is shown whole.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping

from sandbox.stack.local import Stack
from sync_core.redaction import mask_url

DATABASE = "PICS_SYNC_DATABASE_URL"
MASKED_NOTE = "# the database password is masked: put in the one from DATABASE_URL"


def stack_variables(stack: Stack) -> dict[str, str]:
    """The variables, with their real values, that reach ``stack``."""
    values = {
        "PICS_SYNC_KAFKA_BOOTSTRAP_SERVERS": stack.kafka_bootstrap,
        DATABASE: stack.database_url,
        "PICS_SYNC_SA_BASE_URL": stack.sa_base_url,
    }
    if stack.sa is not None:  # an outside SA (PICS_SYNC_SA_BASE_URL) keeps the credentials it was given
        values |= {
            "PICS_SYNC_SA_USERNAME": stack.sa.username,
            "PICS_SYNC_SA_PASSWORD": stack.sa.password,
            "PICS_SYNC_SA_CLIENT_KEY": stack.sa.client_key,
        }
    return values


def export_lines(values: Mapping[str, str]) -> list[str]:
    """``export NAME=value`` for each, quoted for a POSIX shell; the operator's own database password masked."""
    lines = []
    for name, value in values.items():
        shown = mask_url(value) if name == DATABASE and _operators_own(value) else value
        lines.append(f"export {name}={shlex.quote(shown)}")
        if shown != value:
            lines.append(MASKED_NOTE)
    return lines


def _operators_own(url: str) -> bool:
    """True when ``url`` came from the environment rather than from a server the stack started."""
    return url in {os.environ.get("DATABASE_URL"), os.environ.get(DATABASE)}
