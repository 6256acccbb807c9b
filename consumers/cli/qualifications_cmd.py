"""``pics-sync qualifications refresh``: PICS's "Refresh Qualification Links" from SA's catalogue."""

from __future__ import annotations

import argparse
from typing import Any

from consumers.cli.common import pool_from_env
from consumers.service import sa_client
from sync_core.config import load_config
from sync_core.pics.qualification_links import QualificationLinks


def register(subcommands: Any) -> None:
    """Add ``qualifications``."""
    cmd = subcommands.add_parser("qualifications", help="qualification links (which courses SA supports)")
    actions = cmd.add_subparsers(dest="action", required=True, metavar="ACTION")
    refresh = actions.add_parser(
        "refresh",
        help="replace the qualification links with SA's course catalogue",
        description="Reads SA's course catalogue and links each Qualification Reference (QAN code) to its "
        "SA course. Only linked qualifications are enrolled at upload (U5).",
    )
    refresh.set_defaults(handler=_refresh)


def _refresh(_args: argparse.Namespace) -> int:
    with sa_client(load_config()) as sa, pool_from_env() as pool:
        count = QualificationLinks(pool).refresh(sa.list_courses())
    print(f"qualification links refreshed: {count} courses supported in Smart Assessor")
    return 0
