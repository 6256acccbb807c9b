"""``pics-sync db migrate``: apply the SQL migrations."""

from __future__ import annotations

import argparse
from typing import Any

from sync_core.config import load_config
from sync_core.state.database import limits_of, migrate


def register(subcommands: Any) -> None:
    """Add ``db``."""
    cmd = subcommands.add_parser("db", help="database maintenance")
    actions = cmd.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("migrate", help="apply the migrations not yet applied").set_defaults(handler=_migrate)


def _migrate(_args: argparse.Namespace) -> int:
    config = load_config()
    applied = migrate(config.database_url.get_secret_value(), limits_of(config))
    print("applied: " + (", ".join(applied) or "nothing (up to date)"))
    return 0
