"""``pics-sync refresh IDENT`` (R1 v2) is the one-learner daily run; ``pull learner`` stays as its old name."""

from __future__ import annotations

import pytest

from consumers.cli import parser
from consumers.cli.pull_cmd import _learner


@pytest.mark.parametrize("argv", [["refresh", "L1"], ["pull", "learner", "L1"]], ids=["R1-refresh", "R1-old-name"])
def test_refresh_and_its_old_name_run_the_same_one_learner_run(argv: list[str]) -> None:
    args = parser().parse_args([*argv, "--json"])
    assert (args.handler, args.ident, args.json) == (_learner, "L1", True)
