"""The Smart Assessor sandbox: an in-memory stand-in for SA's API, with fault injection.

``create_app`` builds the server; ``SaSandboxProcess`` runs it in a child process for tests
and the demo.
"""

from sandbox.sa.app import create_app
from sandbox.sa.config import SandboxConfig
from sandbox.sa.process import SandboxStartError, SaSandboxProcess

__all__ = ["SaSandboxProcess", "SandboxConfig", "SandboxStartError", "create_app"]
