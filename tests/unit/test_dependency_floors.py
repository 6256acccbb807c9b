"""The lock files pin nothing below a release that fixed a published advisory, and nothing without its hashes.

No vulnerability database answers from these machines, so ``FLOORS`` stands in for one: for each package
we install, the first release past every advisory known against it, with the advisory ids beside it. A new
advisory is a row here (or a higher floor), the same floor in pyproject.toml, then ``make lock``.
Each check returns its problems as lines of text, so it is tested once on the real files and once on a
bad snippet that it must reject.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
LOCKS = {"runtime": ROOT / "requirements.lock", "dev": ROOT / "requirements-dev.lock"}
_HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


@dataclass(frozen=True)
class Floor:
    """The lowest safe release, and the advisories (ids, each group after the release that fixed it) it clears."""

    version: str
    advisories: str


FLOORS = {
    # What the image runs.
    "jinja2": Floor("3.1.6", "CVE-2025-27516 GHSA-cpwx-vrp4-4pq7; 3.1.5: CVE-2024-56201 GHSA-gmj6-6f8f-6699, "
                    "CVE-2024-56326 GHSA-q2x7-8rv6-6q7h"),
    "starlette": Floor("1.3.1", "CVE-2026-54283 GHSA-82w8-qh3p-5jfq; 1.3.0: CVE-2026-54282 GHSA-jp82-jpqv-5vv3; "
                       "1.1.0: CVE-2026-48818 GHSA-wqp7-x3pw-xc5r, CVE-2026-48817; 1.0.1: CVE-2026-48710 "
                       "GHSA-86qp-5c8j-p5mr; 0.49.1: CVE-2025-62727 GHSA-7f5h-v6xp-fcq8; 0.47.2: CVE-2025-54121 "
                       "GHSA-2c2j-9gv5-cj73; 0.40.0: CVE-2024-47874"),
    "fastapi": Floor("0.109.1", "CVE-2024-24762 (and starlette's, through its own floor above)"),
    "h11": Floor("0.16.0", "CVE-2025-43859 GHSA-vqfr-h8mv-ghfj"),
    "httpcore": Floor("1.0.9", "none of its own: the first release that takes h11 0.16 (GHSA-vqfr-h8mv-ghfj)"),
    "idna": Floor("3.15", "CVE-2026-45409 GHSA-65pc-fj4g-8rjx; 3.7: CVE-2024-3651 GHSA-jjg7-2v4v-x38h"),
    "certifi": Floor("2024.7.4", "CVE-2024-39689"),
    "pydantic": Floor("2.4.0", "CVE-2024-3772 GHSA-mr82-8j83-vxmv"),
    "pydantic-settings": Floor("2.14.2", "GHSA-4xgf-cpjx-pc3j"),
    "python-dotenv": Floor("1.2.2", "CVE-2026-28684 GHSA-mf9w-mj56-hr94"),
    "uvicorn": Floor("0.11.7", "CVE-2020-7694, CVE-2020-7695"),
    "confluent-kafka": Floor("2.16.0", "none of its own: earlier wheels bundle OpenSSL 3.5.6 and libcurl 8.20 "
                             "with published CVEs (confluent-kafka-python issues 2282, 2343)"),
    "setuptools": Floor("78.1.1", "CVE-2025-47273 GHSA-5rjg-fvgr-3xxf; 70.0.0: CVE-2024-6345"),
    # What only developers and CI install.
    "urllib3": Floor("2.7.0", "CVE-2026-44432 GHSA-mf9v-mfxr-j63j, CVE-2026-44431; 2.6.3: CVE-2026-21441 "
                     "GHSA-38jv-5279-wg99; 2.6.0: CVE-2025-66418, CVE-2025-66471; 2.5.0: CVE-2025-50181"),
    "requests": Floor("2.33.0", "CVE-2026-25645 GHSA-gc5v-m9x4-r6x2; 2.32.4: CVE-2024-47081 GHSA-9hjg-9r4m-mvj7"),
    "pytest": Floor("9.0.3", "CVE-2025-71176 GHSA-6w46-j5rx-g56g"),
    "pygments": Floor("2.20.0", "CVE-2026-4539 GHSA-5239-wwwm-4pmq"),
    "pyyaml": Floor("5.4", "CVE-2020-14343"),
    "uv": Floor("0.11.15", "GHSA-4gg8-gxpx-9rph; 0.10.11: GHSA-6gx3-4362-rf54; 0.9.5: CVE-2025-62518 "
                "GHSA-j5gw-2vrg-8fgx"),
}  # fmt: skip


@dataclass(frozen=True)
class Pin:
    """One package of a lock: its exact version and the sha256 hashes pip checks it against."""

    version: Version
    hashes: tuple[str, ...]


def entries(text: str) -> Iterator[str]:
    """Each requirement of a requirements file, continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", text)
    for line in joined.splitlines():
        entry = line.partition("#")[0].strip()
        if entry:
            yield entry


def lock_problems(text: str) -> list[str]:
    """Entries that pip could not hold to one exact release: no ``==`` pin, or no hash."""
    problems = []
    for entry in entries(text):
        requirement = entry.split()[0]
        if not re.fullmatch(r"[A-Za-z0-9._-]+==[A-Za-z0-9.+!-]+", requirement):
            problems.append(f"{requirement}: not pinned to one version with ==")
        if not _HASH.search(entry):
            problems.append(f"{requirement}: no --hash=sha256")
    return problems


def pins(text: str) -> dict[str, Pin]:
    """The lock's packages by normalised name (entries ``lock_problems`` refuses are left out)."""
    found: dict[str, Pin] = {}
    for entry in entries(text):
        name, separator, version = entry.split()[0].partition("==")
        if separator:
            found[canonicalize_name(name)] = Pin(Version(version), tuple(sorted(_HASH.findall(entry))))
    return found


def floor_problems(locked: dict[str, Pin], floors: dict[str, Floor]) -> list[str]:
    """Each pin below its package's floor, with the advisories the floor clears."""
    return [
        f"{name} {locked[name].version} < {floor.version}: {floor.advisories}"
        for name, floor in floors.items()
        if name in locked and locked[name].version < Version(floor.version)
    ]


def lower_bound(specifier: SpecifierSet) -> Version | None:
    """The least version a specifier admits, as far as its ``>=``, ``>``, ``==`` and ``~=`` parts say."""
    bounds = [Version(s.version) for s in specifier if s.operator in (">=", ">", "==", "~=", "===")]
    return max(bounds, default=None)


def declared(pyproject: dict[str, Any]) -> list[Requirement]:
    """Every requirement pyproject.toml names: dependencies, each extra, and the build backend."""
    project = pyproject["project"]
    extras = [text for group in project.get("optional-dependencies", {}).values() for text in group]
    texts = [*project["dependencies"], *extras, *pyproject["build-system"]["requires"]]
    return [req for req in map(Requirement, texts) if canonicalize_name(req.name) != project["name"]]


def pyproject_floor_problems(requirements: list[Requirement], floors: dict[str, Floor], locked: set[str]) -> list[str]:
    """A floored package we install that pyproject.toml leaves unbounded, or bounds below its floor.

    pyproject.toml holds the floors too, so that an install without the lock is as safe as one with it.
    """
    bounds: dict[str, list[Version | None]] = {}
    for req in requirements:
        bounds.setdefault(canonicalize_name(req.name), []).append(lower_bound(req.specifier))
    problems = []
    for name, floor in floors.items():
        if name not in locked:
            continue
        lowest = [bound for bound in bounds.get(name, [None]) if bound is not None]
        if not lowest or max(lowest) < Version(floor.version):
            problems.append(f"{name}: pyproject.toml admits releases below {floor.version} ({floor.advisories})")
    return problems


def agreement_problems(runtime: dict[str, Pin], dev: dict[str, Pin]) -> list[str]:
    """Packages the dev lock pins otherwise than the runtime lock: then the tests would not run what ships."""
    return [
        f"{name}: runtime {pin.version}, dev {dev[name].version if name in dev else 'missing'}"
        + (" (other hashes)" if name in dev and dev[name].version == pin.version else "")
        for name, pin in runtime.items()
        if dev.get(name) != pin
    ]


def unsatisfied(requirements: list[Requirement], locked: dict[str, Pin]) -> list[str]:
    """Requirements the lock does not meet: pyproject.toml changed and ``make lock`` was not run."""
    return [
        f"{req}: locked {locked[name].version if name in locked else 'nothing'}"
        for req in requirements
        if (req.marker is None or req.marker.evaluate({"extra": ""}))
        for name in [canonicalize_name(req.name)]
        if name not in locked or not req.specifier.contains(locked[name].version, prereleases=True)
    ]


def lock_text(kind: str) -> str:
    """The text of the runtime or dev lock."""
    return LOCKS[kind].read_text(encoding="utf-8")


def pyproject() -> dict[str, Any]:
    """pyproject.toml, parsed."""
    with (ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)


def wanted_by(kind: str) -> list[Requirement]:
    """What pyproject.toml asks of a lock: the runtime one, the dependencies and the build backend; the dev one, all."""
    runtime = {canonicalize_name(Requirement(text).name) for text in pyproject()["project"]["dependencies"]}
    runtime |= {canonicalize_name(Requirement(text).name) for text in pyproject()["build-system"]["requires"]}
    everything = declared(pyproject())
    return everything if kind == "dev" else [req for req in everything if canonicalize_name(req.name) in runtime]


LOCK = "jinja2==3.1.6 \\\n    --hash=sha256:{0}\n    # via pics-sync (pyproject.toml)\nh11==0.16.0 \\\n    --hash=sha256:{1}\n"
GOOD_LOCK = LOCK.format("a" * 64, "b" * 64)


@pytest.mark.parametrize("kind", LOCKS)
def test_every_lock_entry_is_pinned_with_its_hashes(kind: str) -> None:
    """Each package of the lock has one exact version and at least one sha256, so pip --require-hashes takes it."""
    assert lock_problems(lock_text(kind)) == []
    assert lock_problems(GOOD_LOCK) == []  # the good snippet the bad ones below vary


@pytest.mark.parametrize("kind", LOCKS)
def test_no_pin_is_below_its_floor(kind: str) -> None:
    """No package of the lock is older than the release that fixed its advisories (table above)."""
    assert floor_problems(pins(lock_text(kind)), FLOORS) == []


def test_pyproject_holds_every_floor() -> None:
    """For each floored package we install, pyproject.toml's lower bound is at least the floor."""
    locked = set(pins(lock_text("dev")))
    assert pyproject_floor_problems(declared(pyproject()), FLOORS, locked) == []


def test_every_floor_is_of_a_locked_package() -> None:
    """The table names no package that neither lock holds (a stale row would look like protection)."""
    locked = set(pins(lock_text("runtime"))) | set(pins(lock_text("dev")))
    assert sorted(set(FLOORS) - locked) == []


def test_the_dev_lock_pins_what_the_image_runs() -> None:
    """Every runtime package has the same version and hashes in the dev lock, so the tests run what ships."""
    assert agreement_problems(pins(lock_text("runtime")), pins(lock_text("dev"))) == []


@pytest.mark.parametrize("kind", LOCKS)
def test_each_lock_meets_pyproject(kind: str) -> None:
    """Each lock meets every range pyproject.toml asks of it: no `make lock` was forgotten."""
    assert unsatisfied(wanted_by(kind), pins(lock_text(kind))) == []


@pytest.mark.parametrize(
    ("problems", "expected"),
    [
        pytest.param(lambda: floor_problems(pins(GOOD_LOCK.replace("3.1.6", "3.1.5")), FLOORS),
                     "jinja2 3.1.5 < 3.1.6: CVE-2025-27516", id="pin-lowered-below-its-floor"),
        pytest.param(lambda: lock_problems(LOCK.format("a" * 64, "")), "h11==0.16.0: no --hash", id="pin-without-hash"),
        pytest.param(lambda: lock_problems(GOOD_LOCK.replace("h11==0.16.0", "h11>=0.16")), "not pinned",
                     id="range-instead-of-pin"),
        pytest.param(lambda: pyproject_floor_problems([Requirement("jinja2>=3.1,<4")], FLOORS, {"jinja2"}),
                     "jinja2: pyproject.toml admits releases below 3.1.6", id="pyproject-floor-too-low"),
        pytest.param(lambda: pyproject_floor_problems([], FLOORS, {"h11"}), "h11: pyproject.toml admits",
                     id="floored-package-not-declared"),
        pytest.param(lambda: agreement_problems(pins(GOOD_LOCK), pins(GOOD_LOCK.replace("0.16.0", "0.16.1"))),
                     "h11: runtime 0.16.0, dev 0.16.1", id="dev-lock-differs"),
        pytest.param(lambda: unsatisfied([Requirement("jinja2>=3.2")], pins(GOOD_LOCK)), "jinja2>=3.2: locked 3.1.6",
                     id="lock-behind-pyproject"),
    ],
)  # fmt: skip
def test_each_check_rejects_a_bad_snippet(problems: Any, expected: str) -> None:
    """Each check reports the flaw it exists for, so a green run above means something."""
    assert any(expected in problem for problem in problems()), problems()
