"""``pics-sync settings show|set``: the integration settings S1–S17."""

from __future__ import annotations

import argparse
import json
from typing import Any

from consumers.cli.common import pool_from_env
from sync_core import settings
from sync_core.state.settings_repo import SettingsRepository


def register(subcommands: Any) -> None:
    """Add ``settings`` and its actions."""
    cmd = subcommands.add_parser("settings", help="show or change the integration settings")
    actions = cmd.add_subparsers(dest="action", required=True, metavar="ACTION")
    show = actions.add_parser("show", help="list every setting with its value and default")
    show.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    show.set_defaults(handler=_show)
    change = actions.add_parser(
        "set",
        help="change one setting",
        description="Change one setting by PICS name or id, e.g. "
        '`pics-sync settings set "Update Learner Demographics Mode" push` or `settings set S1 on`.',
    )
    change.add_argument("name", help='the PICS name ("Integration Enabled") or id (S1)')
    change.add_argument("value", help="on/off, a mode (none, push, pull or its full name), or a role")
    change.set_defaults(handler=_set)
    review = actions.add_parser(
        "review-types",
        help="S17: which SA session types become PICS reviews, and as which Review Type",
        description="With no options, lists the map. --set maps an SA session type; --unset stops importing it.",
    )
    review.add_argument(
        "--set", nargs=2, metavar=("SA_TYPE", "PICS_TYPE"), help='e.g. --set "Formal Review" "Progress Review"'
    )
    review.add_argument("--unset", metavar="SA_TYPE", help="stop importing sessions of this type")
    review.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    review.set_defaults(handler=_review_types)


def _show(args: argparse.Namespace) -> int:
    with pool_from_env() as pool:
        stored = SettingsRepository(pool).stored()
    rows = [
        (d.id, d.name, stored.get(d.name, str(d.default)), "" if d.name in stored else "(default)")
        for d in settings.DEFINITIONS
    ]
    if args.json:
        print(json.dumps({name: value for _id, name, value, _default in rows}))
        return 0
    width = max(len(name) for _id, name, _v, _d in rows)
    for ident, name, value, default in rows:
        print(f"{ident:<4} {name:<{width}}  {value} {default}".rstrip())
    print(f"{'S2':<4} {'Username, Password, Client Key':<{width}}  from PICS_SYNC_SA_* (never shown)")
    return 0


def _review_types(args: argparse.Namespace) -> int:
    with pool_from_env() as pool:
        repo = SettingsRepository(pool)
        if args.set:
            repo.map_review_type(settings.session_type(args.set[0]), args.set[1].strip())
        if args.unset:
            repo.map_review_type(settings.session_type(args.unset), None)
        mapping = repo.review_types()
    if args.json:
        print(json.dumps(mapping))
        return 0
    for sa_type in settings.SESSION_TYPES:
        print(f"{sa_type:<22} {mapping.get(sa_type, '(not imported)')}")
    return 0


def _set(args: argparse.Namespace) -> int:
    with pool_from_env() as pool:
        name, value = SettingsRepository(pool).set(args.name, args.value)
    print(f"{name} = {value}")
    return 0
