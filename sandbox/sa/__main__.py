"""``python -m sandbox.sa --host 127.0.0.1 --port 8090``: serve the Smart Assessor sandbox.

The password and client key come from ``SA_SANDBOX_PASSWORD`` and ``SA_SANDBOX_CLIENT_KEY``, or
from the files named by ``SA_SANDBOX_PASSWORD_FILE`` and ``SA_SANDBOX_CLIENT_KEY_FILE`` (defaults
as in ``SandboxConfig``), never from the command line, where ``ps`` would show them.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

import uvicorn

from sandbox.sa.app import create_app
from sandbox.sa.config import SandboxConfig, secrets_from


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    defaults = SandboxConfig()
    parser = argparse.ArgumentParser(prog="python -m sandbox.sa", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--username", default=defaults.username)
    parser.add_argument("--token-ttl-s", type=float, default=defaults.token_ttl_s)
    parser.add_argument("--latency-ms", type=float, default=defaults.latency_ms)
    parser.add_argument("--error-rate", type=float, default=defaults.error_rate)
    parser.add_argument("--timeout-rate", type=float, default=defaults.timeout_rate)
    parser.add_argument("--timeout-hang-s", type=float, default=defaults.timeout_hang_s)
    parser.add_argument("--rate-limit-per-s", type=float, default=defaults.rate_limit_per_s)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--instance", default=defaults.instance, help="echoed by the health check")
    return parser.parse_args(argv)


def config_from(args: argparse.Namespace) -> SandboxConfig:
    return SandboxConfig(
        username=args.username,
        **secrets_from(os.environ),
        token_ttl_s=args.token_ttl_s,
        latency_ms=args.latency_ms,
        error_rate=args.error_rate,
        timeout_rate=args.timeout_rate,
        timeout_hang_s=args.timeout_hang_s,
        rate_limit_per_s=args.rate_limit_per_s,
        seed=args.seed,
        instance=args.instance,
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    app = create_app(config_from(args))
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=1,
    )


if __name__ == "__main__":
    main()
