"""The HTTP server on a daemon thread: uvicorn, started beside the consumer or the pull and stopped with it."""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Self

import uvicorn
from fastapi import FastAPI

from consumers.web.errors import guarded
from sync_core.errors import ConfigurationError


class HttpServer:
    """``app`` on ``host:port``; ``start`` returns once it listens, ``stop`` once it has shut down."""

    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        self.host, self.port = host, port
        # No access log: URLs name learners. No lifespan, no logging set-up: the process has its own, and
        # ``guarded`` logs a route's uncaught error through it, never uvicorn's traceback with its message.
        config = uvicorn.Config(
            guarded(app), host=host, port=port, log_config=None, log_level="warning", access_log=False,
            lifespan="off", ws="none", timeout_graceful_shutdown=2,
        )  # fmt: skip
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="http", daemon=True)

    @property
    def url(self) -> str:
        """Where it listens."""
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> Self:
        """Start listening; a ``ConfigurationError`` when the address cannot be bound."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self._server.should_exit = True
                raise ConfigurationError(f"PICS_SYNC_HTTP_HOST/PORT: cannot listen on {self.host}:{self.port}")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving and wait for the thread."""
        self._server.should_exit = True
        self._thread.join(timeout)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
