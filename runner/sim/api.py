"""The request pipeline every game endpoint goes through.

auth -> rate limit -> faults -> parse body -> handler -> ledger, with official error bodies.
Handlers are plain functions ``(ctx) -> (status, body)`` that raise ``ApiError``; they run on
the event loop without awaiting, so each request's state change is atomic.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from runner.sim.clock import http_date, iso
from runner.sim.errors import ApiError, DroppedConnection, invalid_input, parse_json_object
from runner.sim.ratelimit import Decision
from runner.sim.state import SimState
from runner.sim.world import Agent

JSON = dict[str, Any]
Reply = tuple[int, JSON | None]


def paged(ctx_query: Any, items: list[Any],
          render: Callable[[Any], Any] | None = None) -> JSON:
    """``{"data": page, "meta": {...}}`` for ``page``/``limit`` query parameters (1..20).

    ``render`` (optional) turns an item into its JSON; only the page's items are rendered, so
    listing 2,000 systems costs one page of work.
    """
    page = _int_param(ctx_query, "page", 1, 1, None)
    limit = _int_param(ctx_query, "limit", 10, 1, 20)
    start = (page - 1) * limit
    chosen = items[start:start + limit]
    return {"data": [render(i) for i in chosen] if render else chosen,
            "meta": {"total": len(items), "page": page, "limit": limit}}


def _int_param(query: Any, name: str, default: int, low: int, high: int | None) -> int:
    text = query.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise invalid_input(f"Query parameter '{name}' must be an integer.") from None
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high else f"at least {low}"
        raise invalid_input(f"Query parameter '{name}' must be {bound}.")
    return value
MUTATING = frozenset({"POST", "PATCH", "PUT", "DELETE"})
HANDLER_FAULTS = frozenset({"transfer-race"})
"""Fault kinds the handler acts out itself (instead of the pipeline)."""


@dataclass
class Ctx:
    """What a handler sees: the state, the caller, path/query parameters and JSON body."""

    sim: SimState
    agent: Agent | None
    params: dict[str, str]
    query: Any
    body: JSON
    now: float
    account: str | None = None  # the account of an account token (register)
    fault: str | None = None  # an injected fault the handler itself acts out

    @property
    def world(self) -> Any:
        return self.sim.world

    def me(self) -> Agent:
        assert self.agent is not None  # routes with auth=True always have one
        return self.agent

    def field(self, name: str, kind: type, required: bool = True, minimum: int | None = None,
              default: Any = None) -> Any:
        """A body field checked for presence, type and minimum (422/3001 otherwise)."""
        if name not in self.body:
            if required:
                raise invalid_input(f"Request body is missing required field '{name}'.",
                                    errors=[{"field": name, "problem": "required"}])
            return default
        value = self.body[name]
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if not ok:
            raise invalid_input(f"Field '{name}' must be of type {kind.__name__}.",
                                errors=[{"field": name, "problem": f"expected {kind.__name__}"}])
        if minimum is not None and value < minimum:
            raise invalid_input(f"Field '{name}' must be at least {minimum}.",
                                errors=[{"field": name, "problem": f"minimum {minimum}"}])
        return value


Handler = Callable[[Ctx], Reply]


@dataclass
class Endpoint:
    method: str
    path: str
    name: str
    handler: Handler
    auth: bool = True  # True: agent token required; False: optional


@dataclass
class Registry:
    """Game endpoints by name (names are what fault specs pin faults to)."""

    endpoints: list[Endpoint] = field(default_factory=list)

    def route(self, method: str, path: str, name: str, auth: bool = True
              ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            if any(e.name == name for e in self.endpoints):
                raise ValueError(f"endpoint name {name!r} registered twice")
            self.endpoints.append(Endpoint(method, path, name, handler, auth))
            return handler
        return register

    def names(self) -> frozenset[str]:
        return frozenset(e.name for e in self.endpoints)


def sim_headers(sim: SimState) -> dict[str, str]:
    """Headers on every response: game-clock ``Date`` and the clock speed."""
    return {"date": http_date(sim.clock.now()), "x-sim-speed": f"{sim.config.speed:g}"}


def json_response(sim: SimState, status: int, body: JSON | None,
                  extra: dict[str, str] | None = None) -> Response:
    headers = {**sim_headers(sim), **(extra or {})}
    if body is None:
        return Response(status_code=status, headers=headers)
    return JSONResponse(body, status_code=status, headers=headers)


def starlette_route(endpoint: Endpoint, prefix: str) -> Route:
    """Wrap a handler in the pipeline as a Starlette route under ``prefix``."""

    async def serve(request: Request) -> Response:
        sim: SimState = request.app.state.sim
        try:
            response = await _pipeline(sim, endpoint, request)
        except ApiError as exc:
            response = json_response(sim, exc.status, exc.body())
            key = getattr(request.state, "stats_key", None)
            if key is not None:  # the game's error codes answered, by client key
                sim.stats[key]["errors"][str(exc.code)] += 1
        decision = getattr(request.state, "rate_limit", None)
        bare = getattr(request.state, "bare_fault", False)  # front-end answers: no headers
        if decision is not None and decision.pool is not None and not bare:
            response.headers.update(_rate_headers(sim, decision))
        return response

    return Route(prefix + endpoint.path, serve, methods=[endpoint.method], name=endpoint.name)


async def _pipeline(sim: SimState, endpoint: Endpoint, request: Request) -> Response:
    account = _account_token(sim, request)
    if account and endpoint.auth:
        raise ApiError(401, 4104, "This is an account token: agent endpoints need the agent "
                       "token POST /register returned.")
    agent = None if account else _authenticate(sim, request, endpoint.auth)
    ip = f"ip:{request.client.host if request.client else '?'}"
    key = request.state.stats_key = agent.symbol if agent else ip
    stats = sim.stats[key]
    stats["requests"] += 1
    refusal = _admit(sim, _limit_keys(sim, agent, account, ip), stats, request)
    if refusal is not None:
        return refusal
    injection = sim.faults.decide(key, endpoint.name, sim.clock.now())
    if injection.latency:
        stats["faults"]["latency"] += 1
        await asyncio.sleep(injection.latency)
    if injection.kind is not None:
        stats["faults"][injection.kind] += 1
        early = _early_fault(sim, injection.kind, request)
        if early is not None:
            return early
    body = await _json_body(request)
    status, payload = _apply(sim, endpoint, request, agent, body, account,
                             injection.kind if injection.kind in HANDLER_FAULTS else None)
    if injection.kind == "drop-after":
        _drop(request)  # applied and in the ledger, but the answer is lost
    return json_response(sim, status, payload)


def _account_token(sim: SimState, request: Request) -> str | None:
    """The account id when the bearer token is an account token (not an agent token)."""
    _, _, token = (request.headers.get("authorization") or "").partition(" ")
    return sim.world.account_tokens.get(token.strip()) if token else None


def _limit_keys(sim: SimState, agent: Agent | None, account: str | None, ip: str
                ) -> list[tuple[str, str]]:
    """The limiter pools a request draws from: (key, 429 type), as the live server keys them.

    Agent requests count against their account; requests without one against the address.
    With ``rate_limit_per_ip`` every request also counts against its address.
    """
    owner = agent.account_id if agent else account
    keys = [(f"account:{owner}", "ACCOUNT")] if owner else []
    if sim.config.rate_limit_per_ip or not keys:
        keys.append((ip, "IP_ADDRESS"))
    return keys


def _admit(sim: SimState, keys: list[tuple[str, str]], stats: dict[str, Any],
           request: Request) -> Response | None:
    """Take a slot from each key's pools; a 429 (typed by the key) when one is dry."""
    if sim.limiter is None:
        return None
    for key, kind in keys:
        decision = request.state.rate_limit = sim.limiter.check(key, kind)
        if decision.pool is None:
            stats["rateLimited"][decision.limited_by] += 1
            return _too_many(sim, decision)
    stats["servedByPool"][decision.pool] += 1
    return None


def _apply(sim: SimState, endpoint: Endpoint, request: Request, agent: Agent | None,
           body: JSON, account: str | None, fault: str | None) -> Reply:
    """Run the handler (no awaits: atomic) and record an accepted state change."""
    ctx = Ctx(sim, agent, dict(request.path_params), request.query_params, body,
              sim.clock.now(), account, fault)
    status, payload = endpoint.handler(ctx)
    if request.method in MUTATING and status < 300:
        ship = ctx.params.get("shipSymbol") or body.get("shipSymbol")
        sim.ledger.record(iso(ctx.now), agent.symbol if agent else _registered(payload),
                          ship if isinstance(ship, str) else None, request.method,
                          request.url.path, body, status)
    return status, payload


def _registered(payload: JSON | None) -> str | None:
    try:
        return str(payload["data"]["agent"]["symbol"])  # type: ignore[index]
    except (TypeError, KeyError):
        return None


def _authenticate(sim: SimState, request: Request, required: bool) -> Agent | None:
    header = request.headers.get("authorization")
    if not header:
        if required:
            raise ApiError(401, 4103, "Missing bearer token. Send 'Authorization: Bearer "
                           "<token>' with your agent token.")
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, 4104, "Invalid Authorization header: expected 'Bearer <token>'.")
    return sim.world.agent_for_token(token.strip())


def _rate_headers(sim: SimState, decision: Decision) -> dict[str, str]:
    """The ``x-ratelimit-*`` headers the real server sends (on 429s and on answers)."""
    assert sim.limiter is not None
    spec = sim.limiter.spec
    burst = spec.burst.limit if spec.burst else 0
    return {"x-ratelimit-type": decision.kind, "x-ratelimit-limit": str(spec.static.limit + burst),
            "x-ratelimit-remaining": str(decision.remaining),
            "x-ratelimit-reset": iso(_wall_to_game(sim, decision.reset_in)),
            "x-ratelimit-limit-burst": str(burst),
            "x-ratelimit-limit-per-second": str(spec.static.limit)}


def _too_many(sim: SimState, decision: Decision) -> Response:
    assert sim.limiter is not None
    spec = sim.limiter.spec
    retry = max(decision.retry_after, 0.001)
    headers = {**_rate_headers(sim, decision), "retry-after": str(math.ceil(retry))}
    body = {"error": {"code": 429, "message": "You have reached your API limit. Please wait "
                      "and try again.",
                      "data": {"type": decision.kind, "retryAfter": round(retry, 3),
                               "limitBurst": spec.burst.limit if spec.burst else 0,
                               "limitPerSecond": spec.static.limit, "remaining": 0,
                               "reset": headers["x-ratelimit-reset"]}}}
    return json_response(sim, 429, body, headers)


def _wall_to_game(sim: SimState, wall_seconds: float) -> float:
    """The game time when ``wall_seconds`` of wall time have passed."""
    return sim.clock.now() + wall_seconds * sim.clock.speed


def _early_fault(sim: SimState, kind: str, request: Request) -> Response | None:
    """Faults that replace the response before the request is applied."""
    if kind == "500":
        err = ApiError(500, 3000, "Internal server error (injected by the simulator).")
        return json_response(sim, 500, err.body())
    # Bare front-end answers: no JSON, no x-ratelimit-*/Retry-After (only the clock headers
    # every simulator response carries).
    request.state.bare_fault = kind in ("502", "429")
    if kind == "502":
        return Response(b"", status_code=502, headers=sim_headers(sim))  # the DDoS layer
    if kind == "429":
        return Response(b"<html><body>Too Many Requests</body></html>", status_code=429,
                        media_type="text/html", headers=sim_headers(sim))  # the cloud front
    if kind == "drop-before":
        _drop(request)
    return None


def _drop(request: Request) -> None:
    request.scope["sim.drop"] = True
    raise DroppedConnection()


async def _json_body(request: Request) -> JSON:
    """The body as an object: JSON, or a form (some clients register with one; its values
    are strings, so only string fields can be sent that way)."""
    raw = await request.body()
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        from urllib.parse import parse_qsl

        try:
            return dict(parse_qsl(raw.decode(), strict_parsing=bool(raw.strip())))
        except (ValueError, UnicodeDecodeError):
            raise invalid_input("Request body is not a valid form.") from None
    return parse_json_object(raw)
