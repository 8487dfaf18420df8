"""The simulator as an ASGI app: the SpaceTraders v2 API under ``/v2``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from runner.sim.api import json_response, starlette_route
from runner.sim.config import SimConfig
from runner.sim.control import control_routes
from runner.sim.errors import ApiError, DroppedConnection

# Importing the route modules registers their endpoints on REGISTRY.
from runner.sim.routes import (
    REGISTRY,
    agents,
    contracts,
    fleet,
    mining,
    ships,
    systems,
    trade,
    travel,
)
from runner.sim.state import SimState

PREFIX = "/v2"
_ROUTE_MODULES = (agents, contracts, fleet, mining, ships, systems, trade, travel)

Dropper = Callable[[Scope], bool]



def _transport_error() -> Exception:
    """httpx's own transport error, so in-process clients see what a socket client sees."""
    import httpx

    return httpx.RemoteProtocolError("Server disconnected without sending a response.")


class SimApp(Starlette):
    """Starlette plus dropped connections: ``state.dropper`` closes a real socket if set."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return

        async def guarded(message: Any) -> None:
            if not scope.get("sim.drop"):
                await send(message)

        try:
            await super().__call__(scope, receive, guarded)
        except DroppedConnection:
            dropper: Dropper | None = getattr(self.state, "dropper", None)
            if dropper is None or not dropper(scope):
                raise _transport_error() from None
            await asyncio.sleep(0)  # let the server notice the closed socket


def create_app(config: SimConfig | None = None) -> Starlette:
    """A fresh simulated universe serving the API under ``/v2`` (and ``/v2/_sim`` controls)."""
    config = config or SimConfig()
    routes = [starlette_route(e, PREFIX) for e in REGISTRY.endpoints]
    app = SimApp(routes=[*control_routes(PREFIX), *routes],
                 exception_handlers={HTTPException: _http_error, 500: _server_error})
    app.state.sim = SimState(config, REGISTRY.names())
    app.state.dropper = None
    return app


async def _http_error(request: Request, exc: Exception) -> Response:
    """Unknown paths and methods, in the official error shape."""
    assert isinstance(exc, HTTPException)
    err = ApiError(exc.status_code, exc.status_code,
                   f"{request.method} {request.url.path}: {exc.detail}")
    return json_response(request.app.state.sim, exc.status_code, err.body())


async def _server_error(request: Request, exc: Exception) -> Response:
    """A bug in the simulator: the official 500 body (code 3000), never a traceback."""
    err = ApiError(500, 3000, f"Internal server error: {type(exc).__name__}.")
    return json_response(request.app.state.sim, 500, err.body())
