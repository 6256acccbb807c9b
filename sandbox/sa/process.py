"""Run the Smart Assessor sandbox in a child process, as tests and the demo need it.

with SaSandboxProcess(SandboxConfig(latency_ms=5)) as sa:
    client = SaClient(sa.base_url, SaCredentials(sa.username, sa.password, sa.client_key))
    ...
    assert sa.calls()["counts"]["POST /learners"] == 1
"""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

import httpx

from sandbox.sa.config import CLIENT_KEY_ENV, PASSWORD_ENV, SandboxConfig

_PROJECT_ROOT = Path(__file__).resolve().parents[2]


class SandboxStartError(RuntimeError):
    """The sandbox process exited or did not answer its health check in time."""


class SaSandboxProcess:
    """``python -m sandbox.sa`` on a loopback port; inspection helpers over HTTP."""

    def __init__(
        self,
        config: SandboxConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        start_timeout_s: float = 20.0,
    ) -> None:
        self.config = dataclasses.replace(config or SandboxConfig(), instance=uuid.uuid4().hex)
        self.host, self.port = host, port or _free_port(host)
        self.start_timeout_s = start_timeout_s
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._http: httpx.Client | None = None

    def __repr__(self) -> str:
        return f"SaSandboxProcess(base_url={self.base_url!r}, running={self.running})"

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def username(self) -> str:
        return self.config.username

    @property
    def password(self) -> str:
        return self.config.password

    @property
    def client_key(self) -> str:
        return self.config.client_key

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> Self:
        """Start the server and wait until it answers; SandboxStartError (with its stderr) if not."""
        if self._proc is not None:
            return self
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the process
        self._http = httpx.Client(base_url=self.base_url, timeout=10.0)
        self._proc = subprocess.Popen(self._command(), env=self._env(), stdout=subprocess.DEVNULL, stderr=self._stderr)
        try:
            self._wait_until_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Terminate the server (kill it if it lingers); safe to call twice."""
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        if self._http is not None:
            self._http.close()
            self._http = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def learners(self) -> list[dict[str, Any]]:
        """Every learner record the sandbox holds, oldest first."""
        return self._records("/learners")

    def employers(self) -> list[dict[str, Any]]:
        """Every employer record, oldest first."""
        return self._records("/employers")

    def assessors(self) -> list[dict[str, Any]]:
        """Every assessor record, oldest first."""
        return self._records("/assessors")

    def enrolments(self) -> list[dict[str, Any]]:
        """Every course enrolment of every learner (each with its ``learnerId``), oldest first."""
        return self._records("/enrolments")

    def welcome_emails(self) -> list[dict[str, Any]]:
        """Every welcome email sent: ``{learnerId, email, loginLink, sentAt}``, oldest first."""
        return self._records("/welcome-emails")

    def courses(self) -> list[dict[str, Any]]:
        """The course catalogue: ``{id, qanCode, title}`` in order."""
        return self._records("/courses")

    def set_courses(self, courses: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Replace the catalogue with ``[{qanCode, title}, ...]``; answer it with the new ids."""
        result: list[dict[str, Any]] = self._call("PUT", "/courses", json=courses)
        return result

    def set_activity(self, learner_id: str, **activity: Any) -> dict[str, Any]:
        """Replace parts of a learner's activity (``sessions=[...]``, a session's ``alsoLearnerIds`` making
        it a group session, one sent with its ``id`` changing that session under the same id;
        ``otjActualHours``; ``smartCoachScore``, None for no score yet; ``inSmartCoach``, False for a 404;
        ``progress=[{enrolmentId, elementsSignedOff}]``); answer all of it."""
        result: dict[str, Any] = self._call("PUT", f"/learners/{learner_id}/activity", json=activity)
        return result

    def simulate_activity(self, seed: int, learner_ids: list[str] | None = None, **mix: float) -> int:
        """Give the learners named (every learner by default) made-up activity drawn from ``seed``, with
        the v2 cases in the shares of ``mix`` (``groupSessions=0.1``…; 3 % each by default, see
        ``sandbox.sa.simulation``); the number of learners. ``last_simulation()`` tells what it did."""
        return self.simulate_activity_counts(seed, learner_ids, **mix)["learners"]

    def simulate_activity_counts(self, seed: int, learner_ids: list[str] | None = None, **mix: float) -> dict[str, int]:
        """``simulate_activity``, answering what it did: ``{learners, groupSessions, notInSmartCoach, …}``."""
        body: dict[str, Any] = {"seed": seed} | ({} if learner_ids is None else {"learnerIds": learner_ids})
        counts: dict[str, int] = self._call("POST", "/simulate-activity", json=body | ({"mix": mix} if mix else {}))
        return counts

    def last_simulation(self) -> dict[str, int]:
        """What the last simulation did, in counts (empty before one)."""
        counts: dict[str, int] = self._call("GET", "/simulation")
        return counts

    def bulk_learners(self, count: int, prefix: str, **options: Any) -> list[dict[str, Any]]:
        """Make ``count`` enrolled learners with activity (options: ``courseId``, ``assessorId``,
        ``employerId``, ``seed``); ``[{id, misId, enrolmentId}]``. Not SA calls: not logged."""
        body = {"count": count, "misIdPrefix": prefix, **options}
        made: list[dict[str, Any]] = self._call("POST", "/bulk-learners", json=body, timeout=120)["learners"]
        return made

    def store_records(self, kind: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Store records of ``kind`` (learners, employers, assessors, enrolments) as SA's create would, all at
        once; ``[{id, misId}]`` in order. Not SA calls: not logged (``sandbox.sa.handwork``)."""
        stored: list[dict[str, Any]] = self._call("POST", f"/records/{kind}", json=records, timeout=120)
        return stored

    def edit_record(self, kind: str, record_id: str | int, changes: dict[str, Any]) -> dict[str, Any]:
        """A hand edit in SA's screens of one record of ``kind``: not an SA call, not logged."""
        record: dict[str, Any] = self._call("PATCH", f"/records/{kind}/{record_id}", json=changes)
        return record

    def delete_enrolment(self, enrolment_id: int) -> None:
        """An enrolment deleted by hand in SA's screens (SA's API deletes nothing): not logged."""
        self._call("DELETE", f"/records/enrolments/{enrolment_id}")

    def delete(self, kind: str, record_id: str | int, *, learner_id: str | None = None) -> None:
        """A record of ``kind`` (learners, employers, assessors, enrolments, the last naming ``learner_id``)
        deleted by hand in SA's screens, so SA answers 404 for it; a learner takes its enrolments and
        activity with it. Not an SA call: not logged (``sandbox.sa.deletions``)."""
        self._call("DELETE", _record_path(kind, record_id, learner_id))

    def restore_record(self, kind: str, record_id: str | int, *, learner_id: str | None = None) -> dict[str, Any]:
        """Bring back a record ``delete`` deleted, with its id and values (and what it took with it); the
        record. An ``httpx.HTTPStatusError`` 409 when SA holds a record with its id or ``misId`` now."""
        record: dict[str, Any] = self._call("POST", f"{_record_path(kind, record_id, learner_id)}/restore")
        return record

    def snapshot(self) -> str:
        """Copy SA's data (every table and id counter, the learners' activity); the copy's id for ``restore``."""
        snapshot_id: str = self._call("POST", "/snapshot")["snapshotId"]
        return snapshot_id

    def restore(self, snapshot_id: str) -> None:
        """Put SA's data back as it was at the snapshot, as SA restored from that backup: ids number on
        from the snapshot's counters. The call log, settings and welcome emails sent stay as they are."""
        self._call("POST", "/restore", json={"snapshotId": snapshot_id})

    def sessions(self) -> list[dict[str, Any]]:
        """Every session of every learner (each with its ``learnerId``), oldest first."""
        return self._records("/sessions")

    def calls(self, since: int = 0) -> dict[str, Any]:
        """``{"counts": {"POST /learners": 1, ...}, "log": [{"seq", "method", ...}, ...]}``."""
        result: dict[str, Any] = self._call("GET", "/calls", params={"since": since})
        return result

    def reset(self) -> None:
        """Forget every record and call, restore the default catalogue, accept the credentials again
        (settings and tokens stay)."""
        self._call("POST", "/reset")

    def configure(self, **settings: Any) -> dict[str, Any]:
        """Change run-time settings (``error_rate=1.0``, ``rate_limit_per_s=None``, ...)."""
        result: dict[str, Any] = self._call("PUT", "/config", json=settings)
        return result

    def expire_tokens(self) -> None:
        """Expire every token issued so far: the next SA call with one answers 401."""
        self._call("POST", "/expire-tokens")

    def revoke_credentials(self) -> None:
        """Revoke every token and refuse new ones until the next ``reset``: every SA call answers 401."""
        self._call("POST", "/revoke-credentials")

    def _records(self, path: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", path)
        return result

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        if self._http is None:
            raise RuntimeError("the Smart Assessor sandbox is not running; call start() first")
        response = self._http.request(method, f"/_sandbox{path}", **kwargs)
        response.raise_for_status()
        return response.json()

    def _command(self) -> list[str]:
        config, args = self.config, [sys.executable, "-m", "sandbox.sa"]
        args += ["--host", self.host, "--port", str(self.port), "--username", config.username]
        args += ["--token-ttl-s", str(config.token_ttl_s), "--latency-ms", str(config.latency_ms)]
        args += ["--error-rate", str(config.error_rate), "--timeout-rate", str(config.timeout_rate)]
        args += ["--timeout-hang-s", str(config.timeout_hang_s), "--instance", config.instance]
        if config.rate_limit_per_s is not None:
            args += ["--rate-limit-per-s", str(config.rate_limit_per_s)]
        if config.seed is not None:
            args += ["--seed", str(config.seed)]
        return args

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env[PASSWORD_ENV], env[CLIENT_KEY_ENV] = self.config.password, self.config.client_key
        paths = [str(_PROJECT_ROOT), *filter(None, [env.get("PYTHONPATH")])]
        env["PYTHONPATH"] = os.pathsep.join(paths)
        return env

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise SandboxStartError(self._failure(f"exited with {self._proc.returncode}"))
            if self._healthy():
                return
            time.sleep(0.05)
        raise SandboxStartError(self._failure(f"gave no answer in {self.start_timeout_s} s"))

    def _healthy(self) -> bool:
        assert self._http is not None
        try:
            answer = self._http.get("/_sandbox/health", timeout=1.0)
        except httpx.TransportError:
            return False
        return answer.status_code == 200 and answer.json().get("instance") == self.config.instance

    def _failure(self, what: str) -> str:
        stderr = b""
        if self._stderr is not None:
            self._stderr.seek(0)
            stderr = self._stderr.read()
        text = stderr.decode(errors="replace").strip() or "(nothing on stderr)"
        return f"Smart Assessor sandbox on {self.base_url} {what}:\n{text}"


def _record_path(kind: str, record_id: str | int, learner_id: str | None) -> str:
    """Where the sandbox deletes and restores a record; an enrolment is named under its learner."""
    if kind != "enrolments":
        return f"/{kind}/{record_id}"
    if learner_id is None:
        raise ValueError("an enrolment is deleted and restored under its learner: give learner_id")
    return f"/learners/{learner_id}/courses/{record_id}"


def _free_port(host: str) -> int:
    """A port nothing listens on now (another process could take it before the server does)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port
