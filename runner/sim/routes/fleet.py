"""The fleet grows and changes: buy ships, transfer cargo, refit, repair, scrap, refine, chart
and scan."""

from __future__ import annotations

import copy
import math
from typing import Any

from runner.sim.api import JSON, Ctx, Reply
from runner.sim.catalog import MODULES, MOUNTS, REFINE_INPUTS, SHIP_TYPES, cargo_capacity
from runner.sim.clock import iso
from runner.sim.errors import game_error, invalid_input, not_found
from runner.sim.routes import REGISTRY
from runner.sim.routes.mining import reactor_cooldown
from runner.sim.routes.ships import (
    in_transit_error,
    require_docked,
    require_not_in_transit,
    require_orbit,
    ship_for,
)
from runner.sim.ship import Ship
from runner.sim.universe import Shipyard

SCAN_RANGE_SYSTEMS = 5000


# -- purchase ship ------------------------------------------------------------------------------
@REGISTRY.route("POST", "/my/ships", "purchase-ship")
def purchase_ship(ctx: Ctx) -> Reply:
    """Buy a ship at a shipyard where one of the agent's ships is (docking not needed)."""
    ship_type = ctx.field("shipType", str)
    where = ctx.field("waypointSymbol", str)
    if ship_type not in SHIP_TYPES:
        raise invalid_input(f"Unknown ship type {ship_type!r}.",
                            errors=[{"field": "shipType", "problem": "unknown ship type"}])
    uni = ctx.world.universe
    yard = uni.shipyards.get(where)
    if yard is None:
        raise not_found("Shipyard", where)
    agent = ctx.me()
    if not ctx.world.ship_present(agent, where):
        raise game_error(4245, f"Agent {agent.symbol} has no ship at {where}; one must be "
                         "present to buy a ship there.", waypointSymbol=where)
    if ship_type not in yard.ship_types:
        raise game_error(4605, f"Shipyard {where} does not sell {ship_type}.",
                         waypointSymbol=where, shipType=ship_type)
    era = ctx.sim.config.era
    price = yard.price(ship_type, ctx.now, era.ship_price_recovery)
    if price > agent.credits:
        raise game_error(4216, f"Agent has insufficient funds to purchase {ship_type}: "
                         f"{price} credits needed.", creditsAvailable=agent.credits,
                         creditsNeeded=price)
    agent.credits -= price
    yard.bought(ship_type, ctx.now, era.ship_price_step, era.ship_price_recovery)
    ship = ctx.world.add_ship(agent, ship_type, where, ctx.now)
    # The spec: shipSymbol is the ship TYPE (deprecated), "NOT the symbol of the ship".
    tx = {"waypointSymbol": where, "shipSymbol": ship_type, "shipType": ship_type,
          "price": price, "agentSymbol": agent.symbol, "timestamp": iso(ctx.now)}
    yard.transactions.append(tx)
    ctx.world.add_event(agent, "SHIP_PURCHASED", f"Purchased {ship_type} {ship.symbol}.",
                        shipSymbol=ship.symbol)
    return 201, {"data": {"agent": agent.to_json(), "ship": ship.to_json(uni, ctx.now),
                          "transaction": tx}}


# -- transfer -----------------------------------------------------------------------------------
@REGISTRY.route("POST", "/my/ships/{shipSymbol}/transfer", "transfer-cargo")
def transfer(ctx: Ctx) -> Reply:
    """Move cargo to another ship of the agent at the same waypoint, in the same nav state.

    Fault ``transfer-race``: the live server's race, where concurrent transfers read stale
    cargo: the unit and capacity checks are skipped, so cargo can go negative or overflow.
    """
    ship = ship_for(ctx)
    symbol = ctx.field("tradeSymbol", str)
    units = ctx.field("units", int, minimum=1)
    target_symbol = ctx.field("shipSymbol", str)
    require_not_in_transit(ship, ctx.now)
    target = ctx.world.ships.get(target_symbol)
    if target is None:
        raise game_error(4231, f"Target ship {target_symbol} does not exist.",
                         shipSymbol=target_symbol)
    if target.agent != ship.agent:
        raise game_error(4232, f"Target ship {target_symbol} belongs to another agent.",
                         shipSymbol=target_symbol)
    if target.symbol == ship.symbol:
        raise game_error(4233, f"Ship {ship.symbol} cannot transfer cargo to itself.",
                         shipSymbol=ship.symbol)
    target.settle(ctx.now)
    if target.status == "IN_TRANSIT":
        raise in_transit_error(target, ctx.now)
    if target.waypoint != ship.waypoint:
        raise game_error(4234, f"Ships {ship.symbol} and {target.symbol} are not at the same "
                         "waypoint.", shipSymbol=ship.symbol, targetSymbol=target.symbol,
                         waypointSymbol=ship.waypoint, targetWaypointSymbol=target.waypoint)
    if target.status != ship.status:
        raise game_error(4271, f"Ships {ship.symbol} ({ship.status}) and {target.symbol} "
                         f"({target.status}) must both be docked or both in orbit.",
                         shipSymbol=ship.symbol, targetSymbol=target.symbol)
    if ctx.fault != "transfer-race":
        _check_transfer_units(ship, target, symbol, units)
    ship.cargo[symbol] = ship.cargo.get(symbol, 0) - units
    if ship.cargo[symbol] == 0:
        del ship.cargo[symbol]
    target.add_cargo(symbol, units)
    return 200, {"data": {"cargo": ship.cargo_json(), "targetCargo": target.cargo_json()}}


def _check_transfer_units(ship: Ship, target: Ship, symbol: str, units: int) -> None:
    held = ship.cargo.get(symbol, 0)
    if held == 0:
        raise game_error(4218, f"Ship {ship.symbol} has no {symbol} in its cargo.",
                         shipSymbol=ship.symbol, tradeSymbol=symbol)
    if units > held:
        raise game_error(4219, f"Ship {ship.symbol} holds {held} units of {symbol}, fewer "
                         f"than {units}.", shipSymbol=ship.symbol, tradeSymbol=symbol,
                         cargoUnits=held, unitsToRemove=units)
    free = target.cargo_capacity - target.cargo_units
    if units > free:
        raise game_error(4217, f"Ship {target.symbol} has room for {free} more units, not "
                         f"{units}.", shipSymbol=target.symbol,
                         cargoCapacity=target.cargo_capacity, cargoUnits=target.cargo_units,
                         unitsToAdd=units)


# -- mounts and modules -------------------------------------------------------------------------
@REGISTRY.route("GET", "/my/ships/{shipSymbol}/mounts", "get-mounts")
def get_mounts(ctx: Ctx) -> Reply:
    return 200, {"data": ship_for(ctx).template["mounts"]}


@REGISTRY.route("GET", "/my/ships/{shipSymbol}/modules", "get-ship-modules")
def get_modules(ctx: Ctx) -> Reply:
    return 200, {"data": ship_for(ctx).template["modules"]}


def _refit_place(ctx: Ctx, ship: Ship, no_yard: int) -> Shipyard:
    require_docked(ship, ctx.now)
    yard: Shipyard | None = ctx.world.universe.shipyards.get(ship.waypoint)
    if yard is None:
        raise game_error(no_yard, f"Ship {ship.symbol} must be docked at a shipyard to change "
                         "its mounts or modules.", waypointSymbol=ship.waypoint)
    return yard


def _refit_fee(ctx: Ctx, ship: Ship, yard: Shipyard, code: int) -> int:
    agent = ctx.me()
    if yard.modifications_fee > agent.credits:
        raise game_error(code, f"Agent has insufficient funds for the modification fee of "
                         f"{yard.modifications_fee} credits.", creditsAvailable=agent.credits,
                         creditsNeeded=yard.modifications_fee)
    agent.credits -= yard.modifications_fee
    return int(yard.modifications_fee)


def _refit_reply(ctx: Ctx, ship: Ship, part: str, fee: int, key: str) -> Reply:
    tx = {"waypointSymbol": ship.waypoint, "shipSymbol": ship.symbol, "tradeSymbol": part,
          "totalPrice": fee, "timestamp": iso(ctx.now)}
    return 201, {"data": {"agent": ctx.me().to_json(), key: ship.template[key],
                          "cargo": ship.cargo_json(), "transaction": tx}}


def _part(ctx: Ctx, catalog: dict[str, JSON], kind: str) -> str:
    symbol: str = ctx.field("symbol", str)
    if symbol not in catalog:
        raise invalid_input(f"{symbol!r} is not a {kind}.",
                            errors=[{"field": "symbol", "problem": f"not a {kind}"}])
    return symbol


def _check_power_crew(ship: Ship, part: JSON) -> None:
    """4249 when the reactor cannot power ``part``; 4252 when the crew cannot run it.

    Ships without crew quarters (drones, probes) run unmanned: no crew check.
    """
    need = part["requirements"].get("power", 0)
    output = ship.template["reactor"]["powerOutput"]
    if ship.power_used() + need > output:
        raise game_error(4249, f"Ship {ship.symbol}'s reactor cannot power {part['symbol']}: "
                         f"{ship.power_used()} of {output} in use, {need} more needed.",
                         shipSymbol=ship.symbol, powerRequired=need,
                         powerAvailable=output - ship.power_used())
    crew = ship.template["crew"]
    need_crew = max(0, part["requirements"].get("crew", 0))
    if crew["capacity"] and crew["required"] + need_crew > crew["capacity"]:
        raise game_error(4252, f"Ship {ship.symbol} lacks the crew for {part['symbol']}: "
                         f"{crew['required']} of {crew['capacity']} berths taken, {need_crew} "
                         "more needed.", shipSymbol=ship.symbol, crewRequired=need_crew)


def _fit(ship: Ship, key: str, part: JSON) -> None:
    """Install ``part``; its crew joins the ship."""
    ship.template[key].append(_copy(part))
    ship.template["crew"]["required"] += max(0, part["requirements"].get("crew", 0))
    if part["symbol"].startswith("MODULE_CREW_QUARTERS"):
        ship.template["crew"]["capacity"] += part.get("capacity", 0)


def _unfit(ship: Ship, key: str, index: int) -> None:
    part = ship.template[key].pop(index)
    crew = ship.template["crew"]
    crew["required"] = max(0, crew["required"] - max(0, part["requirements"].get("crew", 0)))
    if part["symbol"].startswith("MODULE_CREW_QUARTERS"):
        crew["capacity"] = max(0, crew["capacity"] - part.get("capacity", 0))


@REGISTRY.route("POST", "/my/ships/{shipSymbol}/mounts/install", "install-mount")
def install_mount(ctx: Ctx) -> Reply:
    ship = ship_for(ctx)
    symbol = _part(ctx, MOUNTS, "mount")
    yard = _refit_place(ctx, ship, 4246)
    if not ship.cargo.get(symbol):
        raise game_error(4218, f"Ship {ship.symbol} has no {symbol} in its cargo to install.",
                         shipSymbol=ship.symbol, tradeSymbol=symbol)
    if len(ship.template["mounts"]) >= ship.template["frame"]["mountingPoints"]:
        raise game_error(4251, f"Ship {ship.symbol} has no free mounting point.",
                         shipSymbol=ship.symbol,
                         mountingPoints=ship.template["frame"]["mountingPoints"])
    _check_power_crew(ship, MOUNTS[symbol])
    fee = _refit_fee(ctx, ship, yard, 4248)
    ship.remove_cargo(symbol, 1)
    _fit(ship, "mounts", MOUNTS[symbol])
    return _refit_reply(ctx, ship, symbol, fee, "mounts")


@REGISTRY.route("POST", "/my/ships/{shipSymbol}/mounts/remove", "remove-mount")
def remove_mount(ctx: Ctx) -> Reply:
    ship = ship_for(ctx)
    symbol = _part(ctx, MOUNTS, "mount")
    yard = _refit_place(ctx, ship, 4246)
    index = _installed(ship, "mounts", symbol, 4247)
    _check_room(ship)
    fee = _refit_fee(ctx, ship, yard, 4248)
    _unfit(ship, "mounts", index)
    ship.add_cargo(symbol, 1)
    return _refit_reply(ctx, ship, symbol, fee, "mounts")


@REGISTRY.route("POST", "/my/ships/{shipSymbol}/modules/install", "install-ship-module")
def install_module(ctx: Ctx) -> Reply:
    ship = ship_for(ctx)
    symbol = _part(ctx, MODULES, "module")
    yard = _refit_place(ctx, ship, 4266)
    if not ship.cargo.get(symbol):
        raise game_error(4218, f"Ship {ship.symbol} has no {symbol} in its cargo to install.",
                         shipSymbol=ship.symbol, tradeSymbol=symbol)
    slots = MODULES[symbol]["requirements"].get("slots", 0)
    if ship.slots_used() + slots > ship.template["frame"]["moduleSlots"]:
        raise game_error(4250, f"Ship {ship.symbol} has no {slots} free module slots.",
                         shipSymbol=ship.symbol, slotsRequired=slots,
                         slotsAvailable=ship.template["frame"]["moduleSlots"]
                         - ship.slots_used())
    _check_power_crew(ship, MODULES[symbol])
    fee = _refit_fee(ctx, ship, yard, 4268)
    ship.remove_cargo(symbol, 1)
    _fit(ship, "modules", MODULES[symbol])
    return _refit_reply(ctx, ship, symbol, fee, "modules")


@REGISTRY.route("POST", "/my/ships/{shipSymbol}/modules/remove", "remove-ship-module")
def remove_module(ctx: Ctx) -> Reply:
    ship = ship_for(ctx)
    symbol = _part(ctx, MODULES, "module")
    yard = _refit_place(ctx, ship, 4266)
    index = _installed(ship, "modules", symbol, 4267)
    _check_room(ship)
    module = ship.template["modules"][index]
    left = cargo_capacity({"modules": [m for i, m in enumerate(ship.template["modules"])
                                       if i != index]})
    if ship.cargo_units + 1 > left:
        raise game_error(4217, f"Removing {symbol} would leave {ship.symbol} too little hold "
                         "for its cargo.", shipSymbol=ship.symbol, cargoCapacity=left,
                         cargoUnits=ship.cargo_units, module=module["symbol"])
    fee = _refit_fee(ctx, ship, yard, 4268)
    _unfit(ship, "modules", index)
    ship.add_cargo(symbol, 1)
    return _refit_reply(ctx, ship, symbol, fee, "modules")


def _installed(ship: Ship, key: str, symbol: str, code: int) -> int:
    for index, part in enumerate(ship.template[key]):
        if part["symbol"] == symbol:
            return index
    raise game_error(code, f"Ship {ship.symbol} has no {symbol} installed.",
                     shipSymbol=ship.symbol, symbol=symbol)


def _check_room(ship: Ship) -> None:
    """A removed part goes into the cargo hold: one unit of room is needed."""
    if ship.cargo_units + 1 > ship.cargo_capacity:
        raise game_error(4217, f"Ship {ship.symbol} has no room in its hold for the removed "
                         "part.", shipSymbol=ship.symbol, cargoCapacity=ship.cargo_capacity,
                         cargoUnits=ship.cargo_units, unitsToAdd=1)


def _copy(part: JSON) -> JSON:
    return copy.deepcopy(part)


# -- repair and scrap ---------------------------------------------------------------------------
def _yard_for(ctx: Ctx, ship: Ship, code: int, verb: str) -> Shipyard:
    require_docked(ship, ctx.now)
    yard: Shipyard | None = ctx.world.universe.shipyards.get(ship.waypoint)
    if yard is None:
        raise game_error(code, f"Ships can only be {verb} at a waypoint with a shipyard; "
                         f"{ship.waypoint} has none.", waypointSymbol=ship.waypoint)
    return yard


def _wear(ship: Ship) -> float:
    """How worn the ship is: 0 (new) .. 1, from its frame/reactor/engine condition."""
    t = ship.template
    return 1 - sum(float(t[k].get("condition", 1)) for k in ("frame", "reactor", "engine")) / 3


def _repair_price(ctx: Ctx, ship: Ship, yard: Shipyard) -> int:
    base = yard.price(ship.template["type"], ctx.now, ctx.sim.config.era.ship_price_recovery)
    return math.ceil(round(base * _wear(ship), 6))  # round: 0.98 x 3 / 3 is not quite 0.98


def _scrap_price(ctx: Ctx, ship: Ship, yard: Shipyard) -> int:
    era = ctx.sim.config.era
    base = SHIP_TYPES[ship.template["type"]][-1]
    if ship.template["type"] in yard.ship_types:
        base = yard.price(ship.template["type"], ctx.now, era.ship_price_recovery)
    return round(base * era.scrap_fraction * (1 - _wear(ship)))


def _tx(ship: Ship, price: int, now: float) -> JSON:
    return {"waypointSymbol": ship.waypoint, "shipSymbol": ship.symbol, "totalPrice": price,
            "timestamp": iso(now)}


@REGISTRY.route("GET", "/my/ships/{shipSymbol}/repair", "get-repair-ship")
def repair_preview(ctx: Ctx) -> Reply:
    ship = ship_for(ctx)
    yard = _yard_for(ctx, ship, 4264, "repaired")
    return 200, {"data": {"transaction": _tx(ship, _repair_price(ctx, ship, yard), ctx.now)}}


@REGISTRY.route("POST", "/my/ships/{shipSymbol}/repair", "repair-ship")
def repair(ctx: Ctx) -> Reply:
    ship = ship_for(ctx)
    yard = _yard_for(ctx, ship, 4264, "repaired")
    price = _repair_price(ctx, ship, yard)
    agent = ctx.me()
    if price > agent.credits:
        raise game_error(4265, f"Agent has insufficient funds: {price} credits needed.",
                         creditsAvailable=agent.credits, creditsNeeded=price)
    agent.credits -= price
    for key in ("frame", "reactor", "engine"):
        ship.template[key]["condition"] = 1
        ship.template[key]["integrity"] = 1
    return 200, {"data": {"agent": agent.to_json(),
                          "ship": ship.to_json(ctx.world.universe, ctx.now),
                          "transaction": _tx(ship, price, ctx.now)}}


@REGISTRY.route("GET", "/my/ships/{shipSymbol}/scrap", "get-scrap-ship")
def scrap_preview(ctx: Ctx) -> Reply:
    ship = ship_for(ctx)
    yard = _yard_for(ctx, ship, 4263, "scrapped")
    return 200, {"data": {"transaction": _tx(ship, _scrap_price(ctx, ship, yard), ctx.now)}}


@REGISTRY.route("POST", "/my/ships/{shipSymbol}/scrap", "scrap-ship")
def scrap(ctx: Ctx) -> Reply:
    ship = ship_for(ctx)
    yard = _yard_for(ctx, ship, 4263, "scrapped")
    price = _scrap_price(ctx, ship, yard)
    agent = ctx.me()
    agent.credits += price
    ctx.world.remove_ship(ship)
    ctx.world.add_event(agent, "SHIP_SCRAPPED", f"Scrapped {ship.symbol}.",
                        shipSymbol=ship.symbol)
    return 200, {"data": {"agent": agent.to_json(), "transaction": _tx(ship, price, ctx.now)}}


# -- refine -------------------------------------------------------------------------------------
@REGISTRY.route("POST", "/my/ships/{shipSymbol}/refine", "ship-refine")
def refine(ctx: Ctx) -> Reply:
    """Turn ``refine_input`` units of an ore into ``refine_output`` units of its metal."""
    ship = ship_for(ctx)
    produce = ctx.field("produce", str)
    if produce not in REFINE_INPUTS:
        raise game_error(4237, f"{produce} cannot be refined; refineries produce "
                         f"{', '.join(sorted(REFINE_INPUTS))}.", produce=produce)
    require_not_in_transit(ship, ctx.now)
    refineries = ship.modules_with("MODULE_ORE_REFINERY")
    if not refineries:
        raise game_error(4239, f"Ship {ship.symbol} has no refinery module.",
                         shipSymbol=ship.symbol)
    ship.check_cooldown(ctx.now)
    era = ctx.sim.config.era
    source = REFINE_INPUTS[produce]
    held = ship.cargo.get(source, 0)
    if held < era.refine_input:
        raise game_error(4238, f"Refining {produce} needs {era.refine_input} units of "
                         f"{source}; ship {ship.symbol} holds {held}.", shipSymbol=ship.symbol,
                         tradeSymbol=source, unitsRequired=era.refine_input, unitsHeld=held)
    ship.remove_cargo(source, era.refine_input)
    ship.add_cargo(produce, era.refine_output)
    ship.start_cooldown(era.refine_cooldown, ctx.now)
    return 201, {"data": {"cargo": ship.cargo_json(), "cooldown": ship.cooldown_json(ctx.now),
                          "produced": [{"tradeSymbol": produce, "units": era.refine_output}],
                          "consumed": [{"tradeSymbol": source, "units": era.refine_input}]}}


# -- chart --------------------------------------------------------------------------------------
@REGISTRY.route("POST", "/my/ships/{shipSymbol}/chart", "create-chart")
def chart(ctx: Ctx) -> Reply:
    ship = ship_for(ctx)
    require_not_in_transit(ship, ctx.now)
    wp = ctx.world.universe.waypoints[ship.waypoint]
    if wp.charted:
        raise game_error(4230, f"Waypoint {wp.symbol} has already been charted.",
                         waypointSymbol=wp.symbol)
    agent = ctx.me()
    wp.chart = {"waypointSymbol": wp.symbol, "submittedBy": agent.symbol,
                "submittedOn": iso(ctx.now)}
    reward = ctx.sim.config.era.chart_reward
    agent.credits += reward
    tx = {"waypointSymbol": wp.symbol, "shipSymbol": ship.symbol, "totalPrice": reward,
          "timestamp": iso(ctx.now)}
    return 201, {"data": {"chart": wp.chart, "waypoint": wp.to_json(), "transaction": tx,
                          "agent": agent.to_json()}}


# -- scans --------------------------------------------------------------------------------------
def _sensors(ctx: Ctx, ship: Ship) -> list[JSON]:
    require_orbit(ship, ctx.now)
    sensors = ship.mounts_with("MOUNT_SENSOR_ARRAY")
    if not sensors:
        raise game_error(4215, f"Ship {ship.symbol} has no sensor array mounts.",
                         shipSymbol=ship.symbol)
    ship.check_cooldown(ctx.now)
    return sensors


@REGISTRY.route("POST", "/my/ships/{shipSymbol}/scan/systems", "create-ship-system-scan")
def scan_systems(ctx: Ctx) -> Reply:
    ship = ship_for(ctx)
    sensors = _sensors(ctx, ship)
    uni = ctx.world.universe
    here = uni.systems[ship.system]
    found = []
    for system in uni.systems.values():
        d = math.hypot(system.x - here.x, system.y - here.y)
        if d <= SCAN_RANGE_SYSTEMS:
            found.append((d, system))
    found.sort(key=lambda pair: pair[0])
    systems = [{"symbol": s.symbol, "sectorSymbol": s.sector, "type": s.type, "x": s.x,
                "y": s.y, "distance": round(d)} for d, s in found[:20]]
    ship.start_cooldown(reactor_cooldown(ctx, sensors), ctx.now)
    return 201, {"data": {"cooldown": ship.cooldown_json(ctx.now), "systems": systems}}


@REGISTRY.route("POST", "/my/ships/{shipSymbol}/scan/waypoints", "create-ship-waypoint-scan")
def scan_waypoints(ctx: Ctx) -> Reply:
    ship = ship_for(ctx)
    sensors = _sensors(ctx, ship)
    uni = ctx.world.universe
    out: list[dict[str, Any]] = []
    for symbol in uni.systems[ship.system].waypoints:
        wp = uni.waypoints[symbol]
        item = {"symbol": wp.symbol, "type": wp.type, "systemSymbol": wp.system, "x": wp.x,
                "y": wp.y, "orbitals": [{"symbol": o} for o in wp.orbitals],
                "traits": wp.shown_traits()}
        if wp.faction:
            item["faction"] = {"symbol": wp.faction}
        if wp.chart:
            item["chart"] = wp.chart
        out.append(item)
    ship.start_cooldown(reactor_cooldown(ctx, sensors), ctx.now)
    return 201, {"data": {"cooldown": ship.cooldown_json(ctx.now), "waypoints": out}}


@REGISTRY.route("POST", "/my/ships/{shipSymbol}/scan/ships", "create-ship-ship-scan")
def scan_ships(ctx: Ctx) -> Reply:
    ship = ship_for(ctx)
    sensors = _sensors(ctx, ship)
    uni = ctx.world.universe
    out = []
    for other in ctx.world.ships.values():
        other.settle(ctx.now)
        if other.symbol == ship.symbol or other.waypoint != ship.waypoint:
            continue
        t = other.template
        out.append({"symbol": other.symbol,
                    "registration": {"name": other.symbol, "factionSymbol": other.faction,
                                     "role": t["role"]},
                    "nav": other.nav_json(uni), "frame": {"symbol": t["frame"]["symbol"]},
                    "reactor": {"symbol": t["reactor"]["symbol"]},
                    "engine": {"symbol": t["engine"]["symbol"]},
                    "mounts": [{"symbol": m["symbol"]} for m in t["mounts"]]})
    ship.start_cooldown(reactor_cooldown(ctx, sensors), ctx.now)
    return 201, {"data": {"cooldown": ship.cooldown_json(ctx.now), "ships": out}}
