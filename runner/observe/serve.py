"""``--metrics ADDR`` and ``--dashboard ADDR``: listen addresses and the HTTP servers.

Both servers run inside the runner's own event loop (uvicorn, signals left to the runner),
so they read the supervisor's memory without locks. An address without a host binds to
127.0.0.1: the dashboard shows a fleet, and only a host named on purpose exposes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import uvicorn
from starlette.applications import Starlette

from runner.errors import InvalidInput
from runner.observe.observer import Observer

if TYPE_CHECKING:
    from runner.runtime.adapters import AgentDirectory
    from runner.runtime.supervisor import Supervisor
    from runner.state.store import Store

DEFAULT_HOST = "127.0.0.1"
#: Hosts that only this machine reaches: the dashboard then answers loopback names only.
LOOPBACK = frozenset({"127.0.0.1", "localhost"})


@dataclass(frozen=True)
class ListenAddress:
    """Where to listen: ``host`` (an IP or name) and ``port`` (0: any free port)."""

    host: str
    port: int

    @classmethod
    def parse(cls, text: str, option: str = "address") -> ListenAddress:
        """``:8080``, ``8080``, ``HOST:8080`` or ``[::1]:8080``; InvalidInput otherwise."""
        raw = text.strip()
        if raw.startswith("["):  # [IPv6]:PORT
            host, sep, port = raw[1:].partition("]:")
        elif raw.count(":") > 1:  # a bare IPv6 address needs brackets
            host, sep, port = "", "", ""
        else:
            host, sep, port = raw.rpartition(":")
            sep = sep or "bare port"
        if not sep or not port.isdigit() or int(port) > 65535:
            raise InvalidInput(f"{option} {text!r}: expected [HOST]:PORT, e.g. :8080 or "
                               "0.0.0.0:8080")
        return cls(host or DEFAULT_HOST, int(port))

    def bind(self) -> socket.socket:
        """A listening socket; InvalidInput with the reason when the address is unusable."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
            sock.listen(64)
        except OSError as exc:
            sock.close()
            raise InvalidInput(f"cannot listen on {self.host}:{self.port}: "
                               f"{exc.strerror or exc}") from None
        return sock


def url_of(sock: socket.socket, path: str = "/") -> str:
    """``http://HOST:PORT{path}`` of a bound socket."""
    host, port = sock.getsockname()[:2]
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{port}{path}"


class _Server(uvicorn.Server):
    """A uvicorn server that leaves SIGINT/SIGTERM to the runner (safe-point shutdown)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class HttpService:
    """One ASGI app served on one socket in the running loop until :meth:`stop`."""

    def __init__(self, app: Starlette, sock: socket.socket) -> None:
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                                timeout_graceful_shutdown=1)
        self.server = _Server(config)
        self.sock = sock
        self.task = asyncio.create_task(self.server.serve(sockets=[sock]),
                                        name="observe:http")

    async def stop(self) -> None:
        """Close the listener and wait for the server to end."""
        self.server.should_exit = True
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.wait_for(self.task, 5)
        self.sock.close()


@contextlib.asynccontextmanager
async def observing(supervisor: Supervisor, agents: AgentDirectory, store: Store, *,
                    metrics: ListenAddress | None, dashboard: ListenAddress | None,
                    say: Callable[[str], None]) -> AsyncIterator[Observer | None]:
    """Serve metrics and/or the dashboard for ``supervisor`` while the block runs.

    Yields the observer (None when neither was asked for: nothing runs, nothing is sent).
    """
    if metrics is None and dashboard is None:
        yield None
        return
    from runner.observe.prometheus import registry_for
    from runner.observe.web import dashboard_app, metrics_app

    observer = Observer(supervisor, agents, store)
    registry = registry_for(observer)
    sockets = [(a.bind(), kind) for a, kind in ((metrics, "metrics"), (dashboard, "dashboard"))
               if a is not None]
    sampler = asyncio.create_task(observer.run(), name="observe:sampler")
    services = []
    try:
        for sock, kind in sockets:
            if kind == "metrics":
                services.append(HttpService(metrics_app(registry), sock))
                say(f"metrics at {url_of(sock, '/metrics')}")
            else:
                # A name check against DNS rebinding, unless a host was named on purpose.
                loopback = dashboard is not None and dashboard.host in LOOPBACK
                hosts = None if loopback else ["*"]
                services.append(HttpService(dashboard_app(observer, registry,
                                                          allowed_hosts=hosts), sock))
                say(f"dashboard at {url_of(sock)}")
        yield observer
    finally:
        sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampler
        for service in services:
            await service.stop()
        for sock, _ in sockets:
            sock.close()
