"""Control endpoints for tests under ``/v2/_sim/`` (no auth, no rate limit, no faults)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from runner.sim.api import json_response
from runner.sim.clock import iso
from runner.sim.config import ConfigError
from runner.sim.errors import ApiError, invalid_input, not_found, parse_json_object
from runner.sim.faults import FaultSpec
from runner.sim.state import SimState


def _sim(request: Request) -> SimState:
    sim: SimState = request.app.state.sim
    return sim


async def _body(request: Request) -> dict[str, Any]:
    return parse_json_object(await request.body())


def _int(body: dict[str, Any], name: str, minimum: int = 0) -> int:
    value = body.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise invalid_input(f"'{name}' must be an integer >= {minimum}.")
    return value


def _handle(fn: Any) -> Any:
    async def endpoint(request: Request) -> Response:
        sim = _sim(request)
        try:
            status, body = await fn(sim, request)
        except ApiError as exc:
            return json_response(sim, exc.status, exc.body())
        return json_response(sim, status, body)
    return endpoint


async def faults(sim: SimState, request: Request) -> tuple[int, Any]:
    """GET: the installed fault spec. PUT {"spec": "..."}: replace it ("" = no faults)."""
    if request.method == "PUT":
        spec = (await _body(request)).get("spec")
        if not isinstance(spec, str):
            raise invalid_input("'spec' must be a fault SPEC string ('' for none).")
        try:
            sim.set_faults(FaultSpec.parse(spec, sim.endpoints))
        except ConfigError as exc:
            raise invalid_input(str(exc)) from None
    return 200, {"data": {"spec": sim.faults.spec.describe(),
                          "installedAt": iso(sim.faults.installed_at)}}


async def credits(sim: SimState, request: Request) -> tuple[int, Any]:
    """PUT {"credits": N}: set an agent's credits."""
    agent = sim.world.agents.get(request.path_params["agent"])
    if agent is None:
        raise not_found("Agent", request.path_params["agent"])
    agent.credits = _int(await _body(request), "credits")
    return 200, {"data": agent.to_json()}


async def ship(sim: SimState, request: Request) -> tuple[int, Any]:
    """PATCH {"fuel"?: N, "cargo"?: {SYMBOL: units}, "waypoint"?: WP, "status"?: S}: change a
    ship behind its owner's back. ``waypoint`` places it there in orbit (any system, transit
    ends); ``status`` is DOCKED or IN_ORBIT (applied after ``waypoint``). Every field is
    checked before any is applied: a 422 changes nothing."""
    target = sim.world.ships.get(request.path_params["ship"])
    if target is None:
        raise not_found("Ship", request.path_params["ship"])
    body = await _body(request)
    now = sim.clock.now()
    target.settle(now)
    place = _checked_waypoint(sim, body["waypoint"]) if "waypoint" in body else None
    if "status" in body:
        if body["status"] not in ("DOCKED", "IN_ORBIT"):
            raise invalid_input("'status' must be DOCKED or IN_ORBIT.")
        if target.status == "IN_TRANSIT" and place is None:
            raise invalid_input("the ship is in transit; place it with 'waypoint' too.")
    fuel = _int(body, "fuel") if "fuel" in body else None
    if fuel is not None and fuel > target.fuel_capacity:
        raise invalid_input(f"fuel exceeds the tank ({target.fuel_capacity}).")
    cargo = body.get("cargo")
    if "cargo" in body:
        if not isinstance(cargo, dict) or not all(
                isinstance(v, int) and not isinstance(v, bool) and v >= 0
                for v in cargo.values()):
            raise invalid_input("'cargo' must map trade symbols to units >= 0.")
        if sum(cargo.values()) > target.cargo_capacity:
            raise invalid_input(f"cargo exceeds the hold ({target.cargo_capacity}).")
    if place is not None:
        target.waypoint = target.origin = place.symbol
        target.system = place.system
        target.departure = target.arrival = now
        target.status = "IN_ORBIT"
    if "status" in body:
        target.status = body["status"]
    if fuel is not None:
        target.fuel = fuel
    if isinstance(cargo, dict):
        target.cargo = {k: v for k, v in cargo.items() if v}
    return 200, {"data": target.to_json(sim.world.universe, now)}


def _checked_waypoint(sim: SimState, waypoint: Any) -> Any:
    wp = sim.world.universe.waypoints.get(waypoint) if isinstance(waypoint, str) else None
    if wp is None:
        raise invalid_input(f"'waypoint' must name an existing waypoint, got {waypoint!r}.")
    return wp


async def construction(sim: SimState, request: Request) -> tuple[int, Any]:
    """POST {"complete": true} finishes a construction site; {"fulfilled": {GOOD: units}} sets
    how much of each material was delivered (a waypoint not under construction gets 404)."""
    uni = sim.world.universe
    site = uni.constructions.get(request.path_params["waypoint"])
    if site is None:
        raise not_found("Construction site", request.path_params["waypoint"])
    body = await _body(request)
    if body.get("complete") is True:
        for material in site.materials.values():
            material[1] = material[0]
    elif "fulfilled" in body:
        fulfilled = body["fulfilled"]
        if not isinstance(fulfilled, dict) or not all(
                k in site.materials and isinstance(v, int) and not isinstance(v, bool)
                and 0 <= v <= site.materials[k][0] for k, v in fulfilled.items()):
            raise invalid_input("'fulfilled' must map the site's materials to units between 0 "
                                f"and required ({', '.join(site.materials)}).")
        for good, units in fulfilled.items():
            site.materials[good][1] = units
    else:
        raise invalid_input('send {"complete": true} or {"fulfilled": {GOOD: units}}.')
    uni.set_construction(site)
    return 200, {"data": site.to_json()}


async def accounts(sim: SimState, request: Request) -> tuple[int, Any]:
    """POST {"email"?: str}: a new account and its account token (register with it)."""
    email = (await _body(request)).get("email", "player@example.com")
    if not isinstance(email, str):
        raise invalid_input("'email' must be a string.")
    account = sim.world.create_account(email)
    return 201, {"data": {**account.to_json(), "token": account.token}}


async def reset(sim: SimState, request: Request) -> tuple[int, Any]:
    """POST: a server reset. Agents, ships and tokens are gone (old tokens get 4113)."""
    sim.world.reset()
    return 200, {"data": {"resetDate": sim.world.reset_date}}


async def ledger(sim: SimState, request: Request) -> tuple[int, Any]:
    """GET ?since=SEQ: accepted state-changing requests after SEQ."""
    try:
        since = int(request.query_params.get("since", "0"))
    except ValueError:
        raise invalid_input("'since' must be an integer.") from None
    return 200, {"data": sim.ledger.since(max(0, since))}


async def clock(sim: SimState, request: Request) -> tuple[int, Any]:
    """GET: game time. POST {"advance": seconds}: move game time forward."""
    if request.method == "POST":
        advance = (await _body(request)).get("advance")
        if not isinstance(advance, int | float) or isinstance(advance, bool) or advance < 0:
            raise invalid_input("'advance' must be a number of game seconds >= 0.")
        sim.clock.advance(float(advance))
    now = sim.clock.now()
    return 200, {"data": {"gameTime": iso(now), "epoch": now, "speed": sim.clock.speed}}


async def stats(sim: SimState, request: Request) -> tuple[int, Any]:
    """GET: per client key (agent symbol or ip:HOST): requests, 429s by pool, faults."""
    return 200, {"data": sim.stats_json()}


def control_routes(prefix: str) -> list[Route]:
    base = prefix + "/_sim"
    return [
        Route(base + "/faults", _handle(faults), methods=["GET", "PUT"]),
        Route(base + "/agents/{agent}/credits", _handle(credits), methods=["PUT", "POST"]),
        Route(base + "/ships/{ship}", _handle(ship), methods=["PATCH", "POST"]),
        Route(base + "/reset", _handle(reset), methods=["POST"]),
        Route(base + "/construction/{waypoint}", _handle(construction), methods=["POST"]),
        Route(base + "/accounts", _handle(accounts), methods=["POST"]),
        Route(base + "/ledger", _handle(ledger), methods=["GET"]),
        Route(base + "/clock", _handle(clock), methods=["GET", "POST"]),
        Route(base + "/stats", _handle(stats), methods=["GET"]),
    ]


