"""Fleet: list and read ships, nav state changes and navigation."""

from __future__ import annotations

from runner.sim import rules
from runner.sim.api import Ctx, Reply, paged
from runner.sim.clock import iso
from runner.sim.errors import game_error, invalid_input
from runner.sim.routes import REGISTRY
from runner.sim.ship import Ship

FLIGHT_MODES = ("DRIFT", "STEALTH", "CRUISE", "BURN")  # slowest to fastest


def in_transit_error(ship: Ship, now: float) -> Exception:
    """4214 with the route details, as the real server reports it."""
    return game_error(4214, f"Ship {ship.symbol} is currently in-transit from {ship.origin} "
                      f"to {ship.waypoint} and arrives in {round(ship.arrival - now)} seconds.",
                      departureSymbol=ship.origin, destinationSymbol=ship.waypoint,
                      arrival=iso(ship.arrival), departureTime=iso(ship.departure),
                      secondsToArrival=max(0, round(ship.arrival - now)))


def ship_for(ctx: Ctx) -> Ship:
    """The caller's ship named in the path (404 if it is not theirs)."""
    ship: Ship = ctx.world.ship_of(ctx.me(), ctx.params["shipSymbol"])
    return ship


def require_not_in_transit(ship: Ship, now: float) -> None:
    if ship.status == "IN_TRANSIT":
        raise in_transit_error(ship, now)


def require_orbit(ship: Ship, now: float) -> None:
    require_not_in_transit(ship, now)
    if ship.status != "IN_ORBIT":
        raise game_error(4236, f"Ship {ship.symbol} must be in orbit to perform this action.",
                         shipSymbol=ship.symbol)


def require_docked(ship: Ship, now: float) -> None:
    require_not_in_transit(ship, now)
    if ship.status != "DOCKED":
        raise game_error(4244, f"Ship {ship.symbol} must be docked to perform this action.",
                         shipSymbol=ship.symbol)


@REGISTRY.route("GET", "/my/ships", "list-ships")
def list_ships(ctx: Ctx) -> Reply:
    uni = ctx.world.universe
    ships = [s.to_json(uni, ctx.now) for s in ctx.world.agent_ships(ctx.me())]
    return 200, paged(ctx.query, ships)


@REGISTRY.route("GET", "/my/ships/{shipSymbol}", "get-ship")
def get_ship(ctx: Ctx) -> Reply:
    return 200, {"data": ship_for(ctx).to_json(ctx.world.universe, ctx.now)}


@REGISTRY.route("GET", "/my/ships/{shipSymbol}/nav", "get-nav")
def get_nav(ctx: Ctx) -> Reply:
    return 200, {"data": ship_for(ctx).nav_json(ctx.world.universe)}


@REGISTRY.route("GET", "/my/ships/{shipSymbol}/cargo", "get-cargo")
def get_cargo(ctx: Ctx) -> Reply:
    return 200, {"data": ship_for(ctx).cargo_json()}


@REGISTRY.route("GET", "/my/ships/{shipSymbol}/cooldown", "get-cooldown")
def get_cooldown(ctx: Ctx) -> Reply:
    ship = ship_for(ctx)
    if not ship.cooldown_remaining(ctx.now):
        return 204, None
    return 200, {"data": ship.cooldown_json(ctx.now)}


@REGISTRY.route("POST", "/my/ships/{shipSymbol}/orbit", "orbit")
def orbit(ctx: Ctx) -> Reply:
    ship = ship_for(ctx)
    require_not_in_transit(ship, ctx.now)
    ship.status = "IN_ORBIT"
    return 200, {"data": {"nav": ship.nav_json(ctx.world.universe)}}


@REGISTRY.route("POST", "/my/ships/{shipSymbol}/dock", "dock")
def dock(ctx: Ctx) -> Reply:
    ship = ship_for(ctx)
    require_not_in_transit(ship, ctx.now)
    ship.status = "DOCKED"
    return 200, {"data": {"nav": ship.nav_json(ctx.world.universe)}}


@REGISTRY.route("POST", "/my/ships/{shipSymbol}/navigate", "navigate")
def navigate(ctx: Ctx) -> Reply:
    ship = ship_for(ctx)
    target = ctx.field("waypointSymbol", str)
    require_orbit(ship, ctx.now)
    uni = ctx.world.universe
    if target.rsplit("-", 1)[0] != ship.system:
        raise game_error(4202, f"Navigate request failed. Destination {target} is outside the "
                         f"ship's system {ship.system}; use warp or jump.",
                         shipSymbol=ship.symbol, destinationSymbol=target)
    if target not in uni.waypoints:
        raise game_error(4201, f"Navigate request failed. Destination {target} does not exist.",
                         destinationSymbol=target)
    if target == ship.waypoint:
        raise game_error(4204, f"Navigate request failed. Ship {ship.symbol} is already at "
                         f"{target}.", destinationSymbol=target)
    here, there = uni.waypoints[ship.waypoint], uni.waypoints[target]
    d = rules.distance(here.x, here.y, there.x, there.y)
    fuel = rules.fuel_cost(ship.flight_mode, d, ship.fuel_capacity)
    if fuel > ship.fuel:
        raise game_error(4203, f"Navigate request failed. Ship {ship.symbol} requires {fuel} "
                         f"more fuel for navigation in {ship.flight_mode} mode; it has "
                         f"{ship.fuel}.", fuelRequired=fuel, fuelAvailable=ship.fuel)
    seconds = rules.travel_seconds(ship.flight_mode, d, ship.engine_speed,
                                   ctx.sim.config.nav_multipliers)
    ship.origin, ship.waypoint = ship.waypoint, target
    ship.departure, ship.arrival, ship.status = ctx.now, ctx.now + seconds, "IN_TRANSIT"
    if ship.fuel_capacity:
        ship.fuel -= fuel
        ship.fuel_consumed = (fuel, ctx.now)
    return 200, {"data": {"nav": ship.nav_json(uni), "fuel": ship.fuel_json(), "events": []}}


@REGISTRY.route("PATCH", "/my/ships/{shipSymbol}/nav", "patch-nav")
def patch_nav(ctx: Ctx) -> Reply:
    ship = ship_for(ctx)
    mode = ctx.field("flightMode", str)
    if mode not in FLIGHT_MODES:
        raise invalid_input(f"flightMode must be one of {', '.join(FLIGHT_MODES)}.",
                            errors=[{"field": "flightMode", "problem": "unknown mode"}])
    if ship.status == "IN_TRANSIT" and mode != ship.flight_mode:
        if FLIGHT_MODES.index(mode) < FLIGHT_MODES.index(ship.flight_mode):
            raise game_error(4269, f"Ship {ship.symbol} cannot slow down to {mode} while in "
                             "transit.", shipSymbol=ship.symbol)
        _speed_up(ctx, ship, mode)
    ship.flight_mode = mode
    uni = ctx.world.universe
    return 200, {"data": {"nav": ship.nav_json(uni), "fuel": ship.fuel_json(), "events": []}}


def _speed_up(ctx: Ctx, ship: Ship, mode: str) -> None:
    """Switch to a faster mode mid-flight: the remaining distance at the new mode's rates."""
    uni = ctx.world.universe
    a, b = uni.waypoints[ship.origin], uni.waypoints[ship.waypoint]
    total = ship.arrival - ship.departure
    left = (ship.arrival - ctx.now) / total if total > 0 else 0.0
    d = rules.distance(a.x, a.y, b.x, b.y) * left
    mult = ctx.sim.config.nav_multipliers
    extra = max(0, rules.fuel_cost(mode, d, ship.fuel_capacity)
                - rules.fuel_cost(ship.flight_mode, d, ship.fuel_capacity))
    if extra > ship.fuel:
        raise game_error(4203, f"Ship {ship.symbol} needs {extra} more fuel to switch to "
                         f"{mode}; it has {ship.fuel}.", fuelRequired=extra,
                         fuelAvailable=ship.fuel)
    ship.fuel -= extra
    ship.arrival = ctx.now + rules.js_round(d * mult[mode] / ship.engine_speed)
