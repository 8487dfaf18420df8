"""Leaving the system: jump gates (and their construction) and warp drives."""

from __future__ import annotations

from runner.sim import rules
from runner.sim.api import Ctx, Reply
from runner.sim.clock import iso
from runner.sim.errors import ApiError, game_error
from runner.sim.routes import REGISTRY
from runner.sim.routes.ships import require_docked, require_orbit, ship_for
from runner.sim.routes.systems import waypoint_of_path
from runner.sim.ship import Ship
from runner.sim.universe import Construction, Universe, Waypoint


def system_distance(uni: Universe, a: str, b: str) -> float:
    """Distance between two systems (galactic x/y)."""
    sa, sb = uni.systems[a], uni.systems[b]
    return rules.distance(sa.x, sa.y, sb.x, sb.y)


# -- jump gates ---------------------------------------------------------------------------------
@REGISTRY.route("GET", "/systems/{systemSymbol}/waypoints/{waypointSymbol}/jump-gate",
                "get-jump-gate", auth=False)
def get_jump_gate(ctx: Ctx) -> Reply:
    wp = waypoint_of_path(ctx)
    if wp.type != "JUMP_GATE":
        raise ApiError(400, 4001, f"Waypoint {wp.symbol} is not a jump gate.",
                       {"waypointSymbol": wp.symbol})
    return 200, {"data": {"symbol": wp.symbol,
                          "connections": ctx.world.universe.gates.get(wp.symbol, [])}}


@REGISTRY.route("POST", "/my/ships/{shipSymbol}/jump", "jump-ship")
def jump(ctx: Ctx) -> Reply:
    """Jump from a built gate to a connected built gate; buys antimatter at the origin gate."""
    ship = ship_for(ctx)
    target = ctx.field("waypointSymbol", str)
    require_orbit(ship, ctx.now)
    uni = ctx.world.universe
    here = uni.waypoints[ship.waypoint]
    if here.type != "JUMP_GATE":
        raise game_error(4254, f"Ship {ship.symbol} must be at a jump gate to jump; "
                         f"{here.symbol} is a {here.type}.", waypointSymbol=here.symbol)
    if target not in uni.gates.get(here.symbol, []):
        raise game_error(4255, f"Jump gate {here.symbol} has no connection to {target}.",
                         waypointSymbol=here.symbol, destinationSymbol=target)
    if here.under_construction:
        raise game_error(4256, f"Jump gate {here.symbol} is under construction.",
                         waypointSymbol=here.symbol)
    there = uni.waypoints[target]
    if there.under_construction:
        raise game_error(4262, f"Jump gate {target} is under construction.",
                         waypointSymbol=target)
    ship.check_cooldown(ctx.now)
    tx = _buy_antimatter(ctx, ship)
    d = system_distance(uni, here.system, there.system)
    era = ctx.sim.config.era
    ship.origin, ship.waypoint, ship.system = here.symbol, target, there.system
    ship.departure = ship.arrival = ctx.now
    ship.status = "IN_ORBIT"
    ship.start_cooldown(rules.js_round(era.jump_cooldown_base
                                       + era.jump_cooldown_per_distance * d), ctx.now)
    ship.wear(era.wear_per_jump)
    return 200, {"data": {"nav": ship.nav_json(uni), "cooldown": ship.cooldown_json(ctx.now),
                          "transaction": tx, "agent": ctx.me().to_json()}}


def _buy_antimatter(ctx: Ctx, ship: Ship) -> dict[str, object]:
    """The jump's fee: ANTIMATTER bought at the origin gate's market."""
    units = ctx.sim.config.era.jump_antimatter_units
    market = ctx.world.universe.markets.get(ship.waypoint)
    good = market.goods.get("ANTIMATTER") if market else None
    price = 0
    if good is not None:
        good.settle(ctx.now)
        price = good.purchase_price()
    agent = ctx.me()
    if units * price > agent.credits:
        raise game_error(4600, f"Agent has insufficient funds for {units} ANTIMATTER: "
                         f"{units * price} credits needed.", creditsAvailable=agent.credits,
                         totalPrice=units * price)
    agent.credits -= units * price
    tx = {"waypointSymbol": ship.waypoint, "shipSymbol": ship.symbol,
          "tradeSymbol": "ANTIMATTER", "type": "PURCHASE", "units": units,
          "pricePerUnit": price, "totalPrice": units * price, "timestamp": iso(ctx.now)}
    if market is not None and good is not None:
        good.trade(units, buying=True)
        market.transactions.append(tx)
    return tx


# -- construction -------------------------------------------------------------------------------
def construction_at(uni: Universe, wp: Waypoint) -> Construction:
    """The waypoint's construction site; a finished, empty one when it never was one."""
    site = uni.constructions.get(wp.symbol)
    return site if site is not None else Construction(wp.symbol, {})


@REGISTRY.route("GET", "/systems/{systemSymbol}/waypoints/{waypointSymbol}/construction",
                "get-construction", auth=False)
def get_construction(ctx: Ctx) -> Reply:
    wp = waypoint_of_path(ctx)
    return 200, {"data": construction_at(ctx.world.universe, wp).to_json()}


@REGISTRY.route("POST",
                "/systems/{systemSymbol}/waypoints/{waypointSymbol}/construction/supply",
                "supply-construction")
def supply_construction(ctx: Ctx) -> Reply:
    """Deliver materials from a docked ship at the site; they leave its cargo."""
    wp = waypoint_of_path(ctx)
    ship = ctx.world.ship_of(ctx.me(), ctx.field("shipSymbol", str))
    symbol = ctx.field("tradeSymbol", str)
    units = ctx.field("units", int, minimum=1)
    require_docked(ship, ctx.now)
    if ship.waypoint != wp.symbol:
        raise game_error(4802, f"Ship {ship.symbol} must be at {wp.symbol} to supply its "
                         "construction.", shipSymbol=ship.symbol, waypointSymbol=wp.symbol)
    uni = ctx.world.universe
    site = uni.constructions.get(wp.symbol)
    if site is None or symbol not in site.materials:
        raise game_error(4800, f"Construction at {wp.symbol} does not need {symbol}.",
                         waypointSymbol=wp.symbol, tradeSymbol=symbol)
    required, fulfilled = site.materials[symbol]
    if fulfilled + units > required:
        raise game_error(4801, f"Construction at {wp.symbol} needs only {required - fulfilled}"
                         f" more {symbol}.", waypointSymbol=wp.symbol, tradeSymbol=symbol,
                         required=required, fulfilled=fulfilled)
    held = ship.cargo.get(symbol, 0)
    if held < units:
        raise game_error(4218 if held == 0 else 4219, f"Ship {ship.symbol} holds {held} units "
                         f"of {symbol}, fewer than {units}.", shipSymbol=ship.symbol,
                         tradeSymbol=symbol, cargoUnits=held, unitsToRemove=units)
    ship.remove_cargo(symbol, units)
    site.materials[symbol][1] += units
    uni.set_construction(site)
    if site.complete:
        ctx.world.add_event(ctx.me(), "CONSTRUCTION_COMPLETE",
                            f"Construction at {wp.symbol} is complete.", waypointSymbol=wp.symbol)
    return 201, {"data": {"construction": site.to_json(), "cargo": ship.cargo_json()}}


# -- warp ---------------------------------------------------------------------------------------
@REGISTRY.route("POST", "/my/ships/{shipSymbol}/warp", "warp-ship")
def warp(ctx: Ctx) -> Reply:
    """Fly to a waypoint of another system with a warp drive; fuel and time as navigate's,
    over the distance between the systems, with the warp multipliers."""
    ship = ship_for(ctx)
    target = ctx.field("waypointSymbol", str)
    require_orbit(ship, ctx.now)
    if not ship.modules_with("MODULE_WARP_DRIVE"):
        raise game_error(4241, f"Ship {ship.symbol} has no warp drive module.",
                         shipSymbol=ship.symbol)
    uni = ctx.world.universe
    there = uni.waypoints.get(target)
    if there is None:
        raise game_error(4201, f"Warp destination {target} does not exist.",
                         destinationSymbol=target)
    if there.system == ship.system:
        raise game_error(4235, f"Warp destination {target} is inside the ship's system; use "
                         "navigate.", destinationSymbol=target)
    # The drive's range is not enforced: the tank is what limits a warp, as on the server.
    d = system_distance(uni, ship.system, there.system)
    fuel = rules.fuel_cost(ship.flight_mode, d, ship.fuel_capacity)
    if fuel > ship.fuel:
        raise game_error(4203, f"Ship {ship.symbol} requires {fuel} fuel to warp in "
                         f"{ship.flight_mode} mode; it has {ship.fuel}.", fuelRequired=fuel,
                         fuelAvailable=ship.fuel)
    seconds = rules.travel_seconds(ship.flight_mode, d, ship.engine_speed,
                                   ctx.sim.config.era.warp_multipliers)
    ship.origin, ship.waypoint, ship.system = ship.waypoint, target, there.system
    ship.departure, ship.arrival, ship.status = ctx.now, ctx.now + seconds, "IN_TRANSIT"
    if ship.fuel_capacity:
        ship.fuel -= fuel
        ship.fuel_consumed = (fuel, ctx.now)
    ship.wear(ctx.sim.config.era.wear_per_jump)
    return 200, {"data": {"nav": ship.nav_json(uni), "fuel": ship.fuel_json(), "events": []}}


