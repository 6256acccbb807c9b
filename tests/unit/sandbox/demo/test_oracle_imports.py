"""A checker never grades itself: the demo's oracle imports no rule, field map, status map, query or
eligibility code of the product, directly or through another sandbox module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]
ORACLE = ("oracle_tables", "fates", "model", "accounting", "journal", "sync_check", "pull_check", "pull_records",
          "pics_rows", "profiles", "drift_check", "reconciles", "hand_edits")  # fmt: skip
# The product's decisions: rules, field and status maps, eligibility, the pull's reads, settings parsing,
# plans and their execution, the pipeline, the sync state and PICS repositories.
BANNED = ("sync_core.rules", "sync_core.fields", "sync_core.pics", "sync_core.pull", "sync_core.settings",
          "sync_core.plan", "sync_core.pics_plan", "sync_core.execute", "sync_core.pipeline", "sync_core.state",
          "consumers")  # fmt: skip


def imports(module: str) -> set[str]:
    """The modules a module imports (absolute names), read from its source."""
    tree = ast.parse((ROOT / (module.replace(".", "/") + ".py")).read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def reached(module: str) -> set[str]:
    """Every module ``module`` imports, following the sandbox's own modules."""
    seen, todo = set(), [module]
    while todo:
        current = todo.pop()
        for name in imports(current):
            if name not in seen:
                seen.add(name)
                if name.startswith("sandbox.") and (ROOT / (name.replace(".", "/") + ".py")).is_file():
                    todo.append(name)
    return seen


@pytest.mark.parametrize("module", ORACLE)
def test_the_oracle_imports_nothing_of_the_product_s_decisions(module: str) -> None:
    """Only SA's HTTP client and the error it raises (sync_core.smart_assessor, sync_core.errors) are allowed."""
    banned = sorted(n for n in reached(f"sandbox.demo.{module}") if n.startswith(BANNED))
    assert banned == []


def test_the_ban_would_catch_an_import() -> None:
    """The walk sees ``from … import`` and follows sandbox modules (the run imports the product: it runs it)."""
    assert "sync_core.pipeline.routes" in reached("sandbox.demo.profile_run")
    assert any(n.startswith("sync_core.pics") for n in reached("sandbox.demo.profile_run"))
