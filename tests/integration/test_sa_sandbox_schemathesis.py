"""The SA sandbox against its own OpenAPI document, fuzzed by schemathesis over real HTTP (bounded).

Every operation, positive and negative data, all of schemathesis's checks but one: no 5xx, only
documented statuses, bodies and headers, negative data refused, Allow on OPTIONS and 405. Left out:
``positive_data_acceptance``, because SA refuses some values its schema can only describe (a ULN's
check digit, an NI prefix never issued, a date of birth in the future): the schema admits them, SA
says 422, as a real API would.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from sandbox.sa.process import SaSandboxProcess
from tests.integration.test_sa_sandbox_http import bearer_token

pytestmark = pytest.mark.integration

EXAMPLES_PER_OPERATION = 15  # about 1,500 calls and 10 s on this machine: bounded, yet each route's every field
SEED = 20261202  # the same cases each run; a failure names its case to replay


def test_sandbox_keeps_its_openapi_contract(sa: SaSandboxProcess, tmp_path: Path) -> None:
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", f"{sa.base_url}/openapi.json",
        "--header", f"Authorization: Bearer {bearer_token(sa)}",
        "--checks", "all", "--exclude-checks", "positive_data_acceptance",
        "--max-examples", str(EXAMPLES_PER_OPERATION), "--seed", str(SEED), "--workers", "1",
        "--no-color", "--report", "junit", "--report-dir", str(tmp_path),
    ]  # fmt: skip
    # In tmp_path: schemathesis keeps a cache of the crashes it found in its working directory.
    ran = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False, cwd=tmp_path)
    assert ran.returncode == 0, ran.stdout[-6000:] + ran.stderr[-2000:]
    operations = sum(len(ops) for ops in httpx.get(f"{sa.base_url}/openapi.json").json()["paths"].values())
    assert f"Tested: {operations}" in ran.stdout  # every operation was reached, none skipped
