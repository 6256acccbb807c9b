"""Everything one sandbox server holds, reachable from a request as ``sandbox_state(request)``."""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import Request

from sandbox.sa.calls import CallLog
from sandbox.sa.config import SandboxConfig
from sandbox.sa.faults import Faults
from sandbox.sa.store import Table
from sandbox.sa.tokens import TokenStore


class SandboxState:
    """The configuration, issued tokens, SA's records, the call log and the fault generator."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.tokens = TokenStore()
        self.learners = Table(unique=("misId",), indexed=("uln",))
        self.calls = CallLog()
        self.faults = Faults(config)

    def reconfigure(self, **changes: Any) -> SandboxConfig:
        """Change run-time settings; tokens issued earlier keep their expiry."""
        self.config = dataclasses.replace(self.config, **changes)
        self.faults.reconfigure(self.config)
        return self.config

    def reset(self) -> None:
        """Forget every record and call; keep the configuration and the issued tokens."""
        self.learners.clear()
        self.calls.clear()
        self.faults.reconfigure(self.config)


def sandbox_state(request: Request) -> SandboxState:
    """The state of the app serving ``request``."""
    state: SandboxState = request.app.state.sandbox
    return state
