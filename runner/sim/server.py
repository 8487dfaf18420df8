"""Serve the simulator on a real socket: ``SimServer`` (background thread) and ``serve``."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.types import Scope

from runner.sim.app import create_app
from runner.sim.config import SimConfig


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0 = any free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose
    # proto says TCP, and without it Nagle + delayed ACKs add ~40 ms to every response.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    """``http://HOST:PORT/v2`` for a bound socket."""
    host, port = sock.getsockname()[:2]
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{port}/v2"


def build_server(app: Starlette, log_level: str = "warning") -> uvicorn.Server:
    """A uvicorn server for ``app`` that can drop a request's connection without a response."""
    # The app sends its own Date header (game clock); uvicorn's would be a second one.
    config = uvicorn.Config(app, log_level=log_level, access_log=False, lifespan="off",
                            timeout_graceful_shutdown=2, date_header=False,
                            server_header=False)
    server = uvicorn.Server(config)

    def drop(scope: Scope) -> bool:
        client = tuple(scope.get("client") or ())
        for protocol in list(server.server_state.connections):
            if getattr(protocol, "client", None) == client:
                protocol.transport.abort()
                return True
        return False

    app.state.dropper = drop
    return server


class SimServer:
    """The simulator on ``host:port`` (0 = any free port) in a background thread.

    Use as a context manager or with ``start()``/``stop()``; ``url`` is
    ``http://HOST:PORT/v2`` and ``app`` the running Starlette app.
    """

    def __init__(self, config: SimConfig | None = None, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.config = config or SimConfig()
        self.app = create_app(self.config)
        self._sock = bind_socket(host, port)
        self.url = url_of(self._sock)
        self._server = build_server(self.app)
        self._thread: threading.Thread | None = None

    def start(self) -> SimServer:
        self._thread = threading.Thread(target=self._server.run,
                                        kwargs={"sockets": [self._sock]},
                                        name="st-run-sim", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the simulator server failed to start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
            self._thread = None
        self._sock.close()

    def __enter__(self) -> SimServer:
        return self.start()

    def __exit__(self, *exc: tuple[type[BaseException], BaseException, TracebackType] | Any
                 ) -> None:
        self.stop()
