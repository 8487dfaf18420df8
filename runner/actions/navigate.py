"""``navigate``: fly to a waypoint by the fastest fuel-feasible route.

Expands into the routing planner's hops: for each, dock + refuel at its origin when the
route buys fuel there, orbit, set the flight mode when it changes, navigate.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.actions.common import NEAREST, TEXT, WAYPOINT, Expansion, long_form
from runner.actions.registry import Action
from runner.domain.commands import Command, Navigate, Refuel, SetFlightMode
from runner.domain.travel import FUEL_PER_MARKET_UNIT
from runner.errors import StRunError
from runner.playbook.context import StepContext
from runner.playbook.errors import StepError
from runner.playbook.selectors import resolve_waypoint

MODES = ("auto", "CRUISE", "DRIFT", "BURN", "STEALTH")


def normalize(value: Any) -> dict[str, Any]:
    """``navigate: X`` or ``{to: X, mode: M}`` -> ``{to, mode}``."""
    if isinstance(value, Mapping) and "to" in value:
        return {"to": value["to"], "mode": value.get("mode", "auto")}
    return {"to": value, "mode": "auto"}


def expand(args: Mapping[str, Any], ctx: StepContext) -> list[Command]:
    """Hops from the ship's position to the resolved waypoint; nothing when already there."""
    x = Expansion(ctx)
    fly_to(x, resolve_waypoint(args["to"], ctx), str(args.get("mode", "auto")))
    return x.commands


def fly_to(x: Expansion, goal: str, mode: str = "auto") -> None:
    """Add the commands that take ``x.ship`` to ``goal`` (used by ``tour`` too)."""
    start = x.ship.nav.waypoint
    if start == goal:
        return
    for hop in _route(x, start, goal, None if mode == "auto" else mode).hops:
        if hop.refuel_units > 0:
            room = x.ship.fuel.capacity - x.ship.fuel.current
            if room > 0:
                x.dock()
                x.add(Refuel(units=min(room, hop.refuel_units * FUEL_PER_MARKET_UNIT)))
        x.orbit()
        if x.ship.nav.flight_mode != hop.mode:
            x.add(SetFlightMode(hop.mode))
        x.add(Navigate(hop.destination, hop.mode, hop.distance, hop.fuel_used, hop.duration_s))


def _route(x: Expansion, start: str, goal: str, mode: str | None) -> Any:
    """The fastest route; it lands with fuel to spare where no fuel is sold, so the ship can
    always DRIFT (1 fuel) onwards. Without such a route, the fastest one at all."""
    target = x.ctx.system.waypoints.get(goal)
    keep = 1 if x.ship.fuel.capacity > 0 and target is not None and not target.sells_fuel \
        else 0
    try:
        return x.ctx.plan_route(x.ship, start, goal, mode, min_fuel_left=keep)
    except StRunError as exc:
        if not keep:
            raise StepError(exc.message) from None
    try:
        return x.ctx.plan_route(x.ship, start, goal, mode)
    except StRunError as exc:
        raise StepError(exc.message) from None


ACTION = Action(
    name="navigate",
    summary="Fly to a waypoint by the fastest route the ship can fuel; refuel stops, orbit "
            "and flight modes are inserted. `mode: auto` lets the planner choose per hop.",
    schema={"description": "a waypoint (symbol, `headquarters`, {nearest: ...}) or "
                           "{to: WAYPOINT, mode: auto|CRUISE|DRIFT|BURN|STEALTH}",
            "anyOf": [TEXT, NEAREST, long_form({"to": WAYPOINT, "mode": {"enum": list(MODES)}},
                                               ("to",))]},
    normalize=normalize,
    expand=expand,
    example="navigate: {nearest: {type: ASTEROID}}",
    needs=("orbit", "refuel stops"),
)
