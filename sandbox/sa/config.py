"""The sandbox's settings: the credentials it accepts and the faults it injects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sync_core.config import read_secret_file

#: Where ``python -m sandbox.sa`` reads the secrets it accepts (never from its command line), each
#: also from the file named by the same variable with ``_FILE`` appended (Docker secrets).
PASSWORD_ENV = "SA_SANDBOX_PASSWORD"
CLIENT_KEY_ENV = "SA_SANDBOX_CLIENT_KEY"

#: The settings PUT /_sandbox/config may change while the server runs.
RUNTIME_SETTINGS = (
    "token_ttl_s",
    "latency_ms",
    "error_rate",
    "timeout_rate",
    "timeout_hang_s",
    "rate_limit_per_s",
    "seed",
)


@dataclass(frozen=True)
class SandboxConfig:
    """How the Smart Assessor sandbox behaves. Replaced whole, never mutated, at run time."""

    username: str = "sandbox"
    password: str = field(default="sandbox-secret", repr=False)
    client_key: str = field(default="sandbox-client-key", repr=False)
    token_ttl_s: float = 600
    latency_ms: float = 0.0
    error_rate: float = 0.0
    timeout_rate: float = 0.0
    timeout_hang_s: float = 30.0
    rate_limit_per_s: float | None = None
    seed: int | None = None
    instance: str = ""  # echoed by GET /_sandbox/health, so a starter knows it reached its own

    def public(self) -> dict[str, object]:
        """The username and the run-time settings; never the secrets."""
        return {"username": self.username} | {name: getattr(self, name) for name in RUNTIME_SETTINGS}


def secrets_from(environ: Mapping[str, str]) -> dict[str, str]:
    """The ``password`` and ``client_key`` that ``environ`` sets, each from its variable or else its ``_FILE``.

    An unset one is left out, so ``SandboxConfig``'s default applies; an unreadable file is a
    ``ConfigurationError`` naming the variable.
    """
    found: dict[str, str] = {}
    for name, variable in (("password", PASSWORD_ENV), ("client_key", CLIENT_KEY_ENV)):
        if variable in environ:
            found[name] = environ[variable]
        elif environ.get(f"{variable}_FILE"):
            found[name] = read_secret_file(f"{variable}_FILE", environ[f"{variable}_FILE"])
    return found
