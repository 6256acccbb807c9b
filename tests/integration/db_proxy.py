"""A TCP proxy between a test's service and PostgreSQL, to fail the connection as a network would.

``silence()`` keeps every connection open and stops forwarding: the proxy's kernel still acknowledges
what the client sends, and no answer ever comes — a half-open connection as TCP cannot see it (a
frozen server, a stuck proxy). New connections are accepted and never answered either. ``speak()``
forwards again on new connections. ``cut()`` closes every connection and stops listening: the
database as a restart or a dropped link leaves it. It listens on 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from pathlib import Path
from types import TracebackType
from typing import Self

from psycopg.conninfo import conninfo_to_dict, make_conninfo

_CHUNK = 65_536


class DatabaseProxy:
    """Forwards 127.0.0.1:``port`` to the server ``url`` names (its TCP address or its Unix socket)."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._silent = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, name="db-proxy", daemon=True).start()

    def url(self, **params: str) -> str:
        """The server's URL through the proxy (``params``: other libpq parameters, e.g. a password)."""
        return make_conninfo(self._url, host="127.0.0.1", port=str(self.port), **params)

    def silence(self) -> None:
        """Stop forwarding, on open connections and new ones alike; nothing is closed."""
        self._silent.set()

    def speak(self) -> None:
        """Forward again (connections silenced meanwhile have lost bytes: their clients drop them)."""
        self._silent.clear()

    def cut(self) -> None:
        """Close every connection and stop listening: connecting is refused from now on."""
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                _shut(sock)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.cut()

    def _accept(self) -> None:
        while True:
            try:
                client, _address = self._listener.accept()
            except OSError:  # cut
                return
            server = _connect(self._url)
            with self._lock:
                self._sockets += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):  # either end closed
            while data := source.recv(_CHUNK):
                if not self._silent.is_set():
                    sink.sendall(data)
        _shut(sink)


def _connect(url: str) -> socket.socket:
    """A socket to the server: TCP for a host name or address, its Unix socket for a directory."""
    params = conninfo_to_dict(url)
    host, port = str(params.get("host") or "localhost"), int(params.get("port") or 5432)
    if Path(host).is_absolute():
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(f"{host}/.s.PGSQL.{port}")
        return sock
    return socket.create_connection((host, port))


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # closed already
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
