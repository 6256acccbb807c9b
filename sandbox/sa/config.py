"""The sandbox's settings: the credentials it accepts and the faults it injects."""

from __future__ import annotations

from dataclasses import dataclass, field

#: Where ``python -m sandbox.sa`` reads the secrets it accepts (never from its command line).
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
