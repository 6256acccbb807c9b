"""The demo, bench and sandbox commands without the sandbox extra: one line naming it, exit 2."""

from __future__ import annotations

import subprocess
import sys

import pytest

from consumers.cli import main


def test_demo_without_faker_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """faker missing: `pics-sync demo` exits 2 with the pip line, and no traceback."""
    monkeypatch.setitem(sys.modules, "faker", None)  # ``import faker`` now raises ModuleNotFoundError
    for name in [n for n in sys.modules if n.startswith("sandbox.pics") or n.startswith("sandbox.demo")]:
        monkeypatch.delitem(sys.modules, name)
    assert main(["demo"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["pics-sync: demo needs the sandbox extra (faker is missing): pip install 'pics-sync[sandbox]'"]


def test_the_product_commands_import_no_sandbox() -> None:
    """Loading the CLI loads nothing of sandbox/: only the three commands do, when they run."""
    probe = "import sys, consumers.cli; print(sorted(m for m in sys.modules if m.split('.')[0] == 'sandbox'))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
