"""``navigate``: fly to a waypoint, in this system or any other, by the fastest route.

In the ship's system it expands into the routing planner's hops: for each, dock + refuel at
its origin when the route buys fuel there, orbit, set the flight mode when it changes,
navigate. In another system (``runner.routing.galaxy``): the hops to the jump gate, the
jumps, the hops from the arrival gate; or, for a ship with a warp drive when faster, warps.

Safety margin, named in the plan with its cost: where the goal sells no fuel the route lands
with ``RESERVE`` fuel, so the ship can always DRIFT onwards. ``reserve: N`` sets it
(``reserve: 0`` drops it, e.g. when a hauler brings fuel).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from runner.actions.common import BEST, NEAREST, TEXT, WAYPOINT, Expansion, long_form
from runner.actions.registry import Action
from runner.domain.commands import Command, Jump, Navigate, Refuel, SetFlightMode, Warp
from runner.domain.plan import Step
from runner.domain.ship import FlightMode
from runner.domain.travel import FUEL_PER_MARKET_UNIT
from runner.domain.universe import system_of
from runner.errors import StRunError
from runner.playbook.context import StepContext
from runner.playbook.errors import StepError
from runner.playbook.selectors import resolve_waypoint

if TYPE_CHECKING:  # routing is imported when a step is expanded, not by `validate`
    from runner.routing.galaxy import GalaxyRoute
    from runner.routing.results import Route

MODES = ("auto", "CRUISE", "DRIFT", "BURN", "STEALTH")
RESERVE = 1
"""Fuel a route keeps on landing where no fuel is sold: DRIFT costs 1 fuel for any distance,
so with it the ship is never stranded."""


def normalize(value: Any) -> dict[str, Any]:
    """``navigate: X`` or ``{to: X, mode: M, reserve: N}`` -> ``{to, mode[, reserve]}``."""
    if isinstance(value, Mapping) and "to" in value:
        out = {"to": value["to"], "mode": value.get("mode", "auto")}
        if "reserve" in value:
            out["reserve"] = value["reserve"]
        return out
    return {"to": value, "mode": "auto"}


def expand(args: Mapping[str, Any], ctx: StepContext) -> list[Command]:
    """Hops from the ship's position to the resolved waypoint; nothing when already there."""
    x = Expansion(ctx)
    reserve = args.get("reserve")
    fly_to(x, resolve_waypoint(args["to"], ctx), str(args.get("mode", "auto")),
           None if reserve is None else int(reserve))
    return x.commands


def systems_for(step: Step, ctx: StepContext) -> set[str]:
    """The systems a navigate step names, its templates rendered in ``ctx`` (to load them
    before expanding); none when it is no navigate or does not render yet."""
    if step.action != "navigate":
        return set()
    from runner.playbook.template import render

    try:
        return systems_named({"to": render(step.args.get("to"), ctx.names())})
    except StepError:
        return set()


def playbook_systems(playbook: Any, ship: Any, system: Any, agent: Any) -> set[str]:
    """The systems beyond the ship's own that a playbook's navigate steps name (templates
    rendered from the start): what ``plan`` and ``run``'s meaning check load first."""
    from runner.playbook.context import StepContext

    ctx = StepContext(ship=ship, system=system, agent=agent, vars=playbook.vars)
    return {name for step in playbook.steps for s in step.walk()
            for name in systems_for(s, ctx)} - {ship.nav.system}


def systems_named(args: Mapping[str, Any]) -> set[str]:
    """The systems a navigate step's (rendered) arguments name."""
    target = args.get("to")
    if isinstance(target, str) and "{" not in target and target.count("-") >= 2:
        return {system_of(target)}
    if isinstance(target, Mapping) and isinstance(target.get("nearest"), Mapping):
        system = target["nearest"].get("system")
        return {str(system)} if system else set()
    return set()


def fly_to(x: Expansion, goal: str, mode: str = "auto", reserve: int | None = None) -> None:
    """Add the commands that take ``x.ship`` to ``goal`` (used by ``tour`` too).

    ``reserve``: fuel to land with (None: ``RESERVE`` where the goal sells no fuel)."""
    start = x.ship.nav.waypoint
    if start == goal:
        return
    route, margin = _route(x, start, goal, None if mode == "auto" else mode, reserve)
    if route.to_gate is not None:
        _hops(x, route.to_gate, "")
    for jump in route.jumps:
        x.orbit()
        x.add(Jump(jump.destination, round(jump.distance, 3), jump.cooldown_s,
                   jump.antimatter_units, jump.antimatter_cost))
    if route.warps is not None:
        _hops(x, route.warps, margin, warp=True)
    if route.arrival is not None:
        _hops(x, route.arrival, margin)


def _hops(x: Expansion, route: Route, margin: str, *, warp: bool = False) -> None:
    for i, hop in enumerate(route.hops):
        if hop.refuel_units > 0:
            room = x.ship.fuel.capacity - x.ship.fuel.current
            if room > 0:
                x.dock()
                x.add(Refuel(units=min(room, hop.refuel_units * FUEL_PER_MARKET_UNIT)))
        x.orbit()
        if x.ship.nav.flight_mode != hop.mode:
            x.add(SetFlightMode(hop.mode))
        note = margin if i == len(route.hops) - 1 else ""
        if warp:
            x.add(Warp(hop.destination, hop.mode, hop.distance, hop.fuel_used, hop.duration_s))
        else:
            x.add(Navigate(hop.destination, hop.mode, hop.distance, hop.fuel_used,
                           hop.duration_s, note))


def _route(x: Expansion, start: str, goal: str, mode: str | None, reserve: int | None
           ) -> tuple[GalaxyRoute, str]:
    """The fastest route and the safety margin it applied (its line in the plan).

    Without an explicit ``reserve``, it lands with ``RESERVE`` fuel where no fuel is sold;
    when no such route exists, the fastest one at all (and the plan says so)."""
    target = x.ctx.system_named(system_of(goal))
    waypoint = target.waypoints.get(goal) if target is not None else None
    tank = x.ship.fuel.capacity > 0
    auto = RESERVE if tank and waypoint is not None and not waypoint.sells_fuel else 0
    keep = auto if reserve is None else min(reserve, x.ship.fuel.capacity)
    try:
        kept = _plan(x, start, goal, mode, keep)
    except StRunError as exc:
        if not keep or reserve is not None:
            raise StepError(exc.message) from None
        try:
            return _plan(x, start, goal, mode, 0), (
                f"no route lands with {keep} fuel at {goal} (it sells none): the ship may "
                "need fuel brought there")
        except StRunError as again:
            raise StepError(again.message) from None
    if not keep:
        return kept, ""
    free = _plan(x, start, goal, mode, 0)
    extra = kept.total_duration_s - free.total_duration_s
    why = "it sells no fuel, so the ship can always drift on" if reserve is None \
        else "as the playbook asks"
    return kept, (f"safety margin: lands at {goal} with at least {keep} fuel ({why}): "
                  f"+{extra} s; `reserve: 0` drops it")


def _plan(x: Expansion, start: str, goal: str, mode: str | None, keep: int) -> GalaxyRoute:
    from runner.routing.galaxy import GalaxyRoute, plan_galaxy_route

    ship = x.ship
    if system_of(goal) == ship.nav.system:
        route = x.ctx.plan_route(ship, start, goal, mode, min_fuel_left=keep)
        return GalaxyRoute(start, goal, "in-system", arrival=route,
                           total_duration_s=route.total_duration_s, credits=route.fuel_cost,
                           fuel_left=route.fuel_left)
    from runner.routing.config import RoutingConfig

    config = None if mode is None else RoutingConfig(modes=frozenset({FlightMode(mode)}))
    cooldown = ship.cooldown.remaining_seconds if ship.cooldown is not None else 0
    return plan_galaxy_route(x.ctx.atlas.galaxy, x.ctx.system_named, ship,
                             start, goal, ship.fuel.current, config=config,
                             min_fuel_left=keep, cooldown_s=max(0, cooldown))


ACTION = Action(
    name="navigate",
    summary="Fly to a waypoint by the fastest route the ship can fuel, in this system or "
            "another (jump gates, or warps for a ship with a warp drive); refuel stops, orbit "
            "and flight modes are inserted. `mode: auto` lets the planner choose per hop. "
            "Where the goal sells no fuel the route lands with 1 fuel to drift on (the plan "
            "names this margin and its cost); `reserve: N` sets it, `reserve: 0` drops it.",
    schema={"description": "a waypoint (symbol, `headquarters`, {nearest: ...}, "
                           "{best: {sells|buys: GOOD}}) or "
                           "{to: WAYPOINT, mode: auto|CRUISE|DRIFT|BURN|STEALTH, reserve: N}",
            "anyOf": [TEXT, NEAREST, BEST, long_form({"to": WAYPOINT, "mode": {"enum": list(MODES)},
                                                "reserve": {"type": "integer", "minimum": 0}},
                                               ("to",))]},
    normalize=normalize,
    expand=expand,
    example="navigate: {nearest: {type: ASTEROID}}",
    needs=("orbit", "refuel stops", "jumps (a built gate at both ends)"),
)
