"""``plan_galaxy_route``: the fastest way of one ship to a waypoint in any system.

Three layers, each planned exactly:

- in-system legs: ``plan_route`` (fuel-aware, refuel stops) from the start to the system's
  jump gate, and from the arrival gate to the goal;
- the jump-gate graph: ``runner.routing.gates.jump_chain`` (cooldowns; the last one free);
- warp, for ships with a warp drive: the same exact label search as ``plan_route``, over the
  systems instead of waypoints (fuel as state, refuel where a system's fuel stop is known),
  with the warp travel model. It considers the systems in a corridor around the straight
  line (``WARP_CORRIDOR``) so it stays fast on a galaxy of thousands.

How they combine: the gate route takes the better of two ways to reach the origin gate (the
fastest leg, or the fastest one that lands with a full tank, which can pay off when the
arrival system is short of fuel); a warp route is compared with the gate route and the
faster one wins (credits are reported, not minimised). Mixed jump-and-warp routes are not
searched.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

from runner.domain.galaxy import (
    DEFAULT_ANTIMATTER_PRICE,
    JUMP_ANTIMATTER_UNITS,
    WARP_MODEL,
    Galaxy,
)
from runner.domain.ship import Ship
from runner.domain.universe import FUEL, Market, System, Waypoint, system_of
from runner.errors import StRunError
from runner.routing.config import DEFAULT_CONFIG, RoutingConfig
from runner.routing.gates import JumpChain, NoJumpRoute, gate_graph, jump_chain
from runner.routing.results import NoRouteError, Route
from runner.routing.route import plan_route

WARP_CORRIDOR = 1.25
"""Warp search: systems whose detour (via them, start to goal) is at most this x the
straight distance, plus ``WARP_CORRIDOR_SLACK``."""
WARP_CORRIDOR_SLACK = 2000.0
WARP_MAX_SYSTEMS = 300
"""At most this many systems (nearest to the straight line first) enter a warp search."""

SystemLookup = Callable[[str], System | None]
"""A loaded system (waypoints with markets) by symbol, or None when not loaded."""


@dataclass(frozen=True)
class Jump:
    """One jump: ``cooldown_s`` follows it; ``wait_s`` of an earlier cooldown came before."""

    origin: str
    destination: str
    distance: float
    cooldown_s: int
    wait_s: int
    antimatter_units: int
    antimatter_cost: int


@dataclass(frozen=True)
class GalaxyRoute:
    """A route across systems: legs to the gate, jumps, warps, legs from the arrival.

    ``method`` is ``"in-system"``, ``"jump"`` or ``"warp"``; ``warps`` is a ``Route`` whose
    hops are warps (origin/destination are waypoints, distances between systems).
    ``total_duration_s`` counts flights, refuel stops and the cooldowns waited before jumps.
    """

    start: str
    goal: str
    method: str
    to_gate: Route | None = None
    jumps: tuple[Jump, ...] = ()
    warps: Route | None = None
    arrival: Route | None = None
    total_duration_s: int = 0
    credits: int = 0
    fuel_left: int = 0


def plan_galaxy_route(galaxy: Galaxy | None, systems: SystemLookup, ship: Ship, start: str,
                      goal: str, fuel_now: int, *, config: RoutingConfig | None = None,
                      min_fuel_left: int = 0, cooldown_s: int = 0) -> GalaxyRoute:
    """The fastest route for ``ship`` from waypoint ``start`` to ``goal`` (any systems).

    ``cooldown_s``: the reactor cooldown left now. Raises NoRouteError naming why when
    there is none (no galaxy data, unbuilt gates, no fuel...).
    """
    cfg = config or DEFAULT_CONFIG
    home, away = system_of(start), system_of(goal)
    here = _need(systems, home)
    if home == away:
        route = plan_route(here, ship, start, goal, fuel_now, config=cfg,
                           min_fuel_left=min_fuel_left)
        return GalaxyRoute(start, goal, "in-system", arrival=route,
                           total_duration_s=route.total_duration_s, credits=route.fuel_cost,
                           fuel_left=route.fuel_left)
    if galaxy is None:
        raise NoRouteError(f"{goal} is in another system and no galaxy data is loaded")
    there = _need(systems, away)
    found: list[GalaxyRoute] = []
    errors: list[str] = []
    for attempt in (_by_gates, _by_warp):
        try:
            found.append(attempt(galaxy, here, there, ship, start, goal, fuel_now, cfg,
                                 min_fuel_left, cooldown_s))
        except StRunError as exc:
            errors.append(exc.message)
    if not found:
        raise NoRouteError("; ".join(e for e in errors if e))
    return min(found, key=lambda r: (r.total_duration_s, r.credits))


def _need(systems: SystemLookup, symbol: str) -> System:
    system = systems(symbol)
    if system is None:
        raise NoRouteError(f"system {symbol} is not loaded")
    return system


def _by_gates(galaxy: Galaxy, here: System, there: System, ship: Ship, start: str,
              goal: str, fuel_now: int, cfg: RoutingConfig, min_fuel_left: int,
              cooldown_s: int) -> GalaxyRoute:
    origin, target = _gate(galaxy, here.symbol), _gate(galaxy, there.symbol)
    chain = jump_chain(gate_graph(galaxy), origin, target)
    best: GalaxyRoute | None = None
    why = ""
    for keep in dict.fromkeys((0, ship.fuel.capacity)):  # land at the gate as fast / full
        try:
            to_gate = plan_route(here, ship, start, origin, fuel_now, config=cfg,
                                 min_fuel_left=keep)
            arrival = plan_route(there, ship, target, goal, to_gate.fuel_left, config=cfg,
                                 min_fuel_left=min_fuel_left)
        except NoRouteError as exc:
            why = why or exc.message
            continue
        route = _gate_route(galaxy, chain, to_gate, arrival, start, goal, cooldown_s)
        if best is None or route.total_duration_s < best.total_duration_s:
            best = route
    if best is None:
        raise NoRouteError(why)
    return best


def _gate(galaxy: Galaxy, system: str) -> str:
    info = galaxy.systems.get(system)
    if info is None or info.gate is None:
        raise NoJumpRoute(f"system {system} has no known jump gate")
    if not info.gate_built:
        raise NoJumpRoute(f"the jump gate {info.gate} of {system} is under construction")
    return info.gate


def _gate_route(galaxy: Galaxy, chain: JumpChain, to_gate: Route, arrival: Route,
                start: str, goal: str, cooldown_s: int) -> GalaxyRoute:
    jumps = []
    wait = max(0, cooldown_s - to_gate.total_duration_s)
    for i, (a, b) in enumerate(zip(chain.gates, chain.gates[1:], strict=False)):
        price = galaxy.systems[system_of(a)].antimatter_price
        unit = DEFAULT_ANTIMATTER_PRICE if price is None else price
        jumps.append(Jump(a, b, chain.distances[i], chain.cooldowns_s[i],
                          wait if i == 0 else chain.cooldowns_s[i - 1],
                          JUMP_ANTIMATTER_UNITS, JUMP_ANTIMATTER_UNITS * unit))
    total = to_gate.total_duration_s + sum(j.wait_s for j in jumps) + arrival.total_duration_s
    credits = to_gate.fuel_cost + sum(j.antimatter_cost for j in jumps) + arrival.fuel_cost
    return GalaxyRoute(start, goal, "jump", to_gate=to_gate, jumps=tuple(jumps),
                       arrival=arrival, total_duration_s=total, credits=credits,
                       fuel_left=arrival.fuel_left)


def _by_warp(galaxy: Galaxy, here: System, there: System, ship: Ship, start: str,
             goal: str, fuel_now: int, cfg: RoutingConfig, min_fuel_left: int,
             cooldown_s: int) -> GalaxyRoute:
    if not ship.can_warp:
        raise NoRouteError(f"{ship.symbol} has no warp drive")
    space = warp_space(galaxy, here[start], there[goal])
    warps = plan_route(space, ship, start, goal, fuel_now,
                       config=replace(cfg, travel=WARP_MODEL), min_fuel_left=min_fuel_left)
    return GalaxyRoute(start, goal, "warp", warps=warps,
                       total_duration_s=warps.total_duration_s, credits=warps.fuel_cost,
                       fuel_left=warps.fuel_left)


def warp_space(galaxy: Galaxy, start: Waypoint, goal: Waypoint) -> System:
    """A pseudo-system for the warp search: the start and the goal waypoints at their
    systems' galactic coordinates, and the fuel stop of every system in the corridor."""
    a, b = galaxy[start.system], galaxy[goal.system]
    straight = math.hypot(a.x - b.x, a.y - b.y)
    limit = straight * WARP_CORRIDOR + WARP_CORRIDOR_SLACK
    stops = []
    for s in galaxy:
        if s.fuel_stop is None or s.symbol in (a.symbol, b.symbol):
            continue
        detour = math.hypot(s.x - a.x, s.y - a.y) + math.hypot(s.x - b.x, s.y - b.y)
        if detour <= limit:
            stops.append((detour, s.symbol, s))
    stops.sort()
    fuel = Market("", exchange=frozenset({FUEL}))
    nodes = [replace(start, x=a.x, y=a.y), replace(goal, x=b.x, y=b.y)]
    nodes += [Waypoint(s.fuel_stop, s.symbol, "FUEL_STOP", s.x, s.y,
                       market=replace(fuel, symbol=s.fuel_stop))
              for _, _, s in stops[:WARP_MAX_SYSTEMS] if s.fuel_stop is not None]
    return System.of("GALAXY", nodes)
