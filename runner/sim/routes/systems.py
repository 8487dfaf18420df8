"""Systems, waypoints, markets and shipyards (public reads; prices need a ship present)."""

from __future__ import annotations

from typing import Any

from runner.sim.api import Ctx, Reply, paged
from runner.sim.catalog import ship_template
from runner.sim.errors import ApiError, not_found
from runner.sim.routes import REGISTRY
from runner.sim.universe import Shipyard, Universe, Waypoint


def _system(ctx: Ctx) -> str:
    symbol = ctx.params["systemSymbol"]
    if symbol not in ctx.world.universe.systems:
        raise not_found("System", symbol)
    return symbol


def waypoint_of_path(ctx: Ctx) -> Waypoint:
    """The waypoint the path names (404 unless it exists in the path's system)."""
    return _waypoint(ctx)


def _waypoint(ctx: Ctx) -> Waypoint:
    system = _system(ctx)
    symbol = ctx.params["waypointSymbol"]
    wp: Waypoint | None = ctx.world.universe.waypoints.get(symbol)
    if wp is None or wp.system != system:
        raise not_found("Waypoint", symbol)
    return wp


@REGISTRY.route("GET", "/systems", "list-systems", auth=False)
def list_systems(ctx: Ctx) -> Reply:
    uni: Universe = ctx.world.universe
    return 200, paged(ctx.query, list(uni.systems), uni.system_json)


@REGISTRY.route("GET", "/systems/{systemSymbol}", "get-system", auth=False)
def get_system(ctx: Ctx) -> Reply:
    return 200, {"data": ctx.world.universe.system_json(_system(ctx))}


@REGISTRY.route("GET", "/systems/{systemSymbol}/waypoints", "list-waypoints", auth=False)
def list_waypoints(ctx: Ctx) -> Reply:
    uni: Universe = ctx.world.universe
    wps = [uni.waypoints[w] for w in uni.systems[_system(ctx)].waypoints]
    kind = ctx.query.get("type")
    if kind:
        wps = [w for w in wps if w.type == kind]
    wanted = [t for value in ctx.query.getlist("traits") for t in value.split(",") if t]
    if wanted:
        wps = [w for w in wps if all(t in w.visible_traits() for t in wanted)]
    return 200, paged(ctx.query, wps, Waypoint.to_json)


@REGISTRY.route("GET", "/systems/{systemSymbol}/waypoints/{waypointSymbol}", "get-waypoint",
                auth=False)
def get_waypoint(ctx: Ctx) -> Reply:
    return 200, {"data": _waypoint(ctx).to_json()}


@REGISTRY.route("GET", "/systems/{systemSymbol}/waypoints/{waypointSymbol}/market",
                "get-market", auth=False)
def get_market(ctx: Ctx) -> Reply:
    wp = _waypoint(ctx)
    market = ctx.world.universe.markets.get(wp.symbol)
    if market is None:
        raise ApiError(404, 4603, f"Waypoint {wp.symbol} has no marketplace.",
                       {"waypointSymbol": wp.symbol})
    present = ctx.world.ship_present(ctx.agent, wp.symbol)
    return 200, {"data": market.to_json(ctx.now, with_prices=present)}


@REGISTRY.route("GET", "/systems/{systemSymbol}/waypoints/{waypointSymbol}/shipyard",
                "get-shipyard", auth=False)
def get_shipyard(ctx: Ctx) -> Reply:
    wp = _waypoint(ctx)
    yard = ctx.world.universe.shipyards.get(wp.symbol)
    if yard is None:
        raise ApiError(404, 4605, f"Waypoint {wp.symbol} has no shipyard.",
                       {"waypointSymbol": wp.symbol})
    data: dict[str, Any] = {"symbol": yard.symbol,
                            "shipTypes": [{"type": t} for t in yard.ship_types],
                            "modificationsFee": yard.modifications_fee}
    if ctx.world.ship_present(ctx.agent, wp.symbol):
        data["ships"] = shipyard_ships(ctx, yard)
        data["transactions"] = yard.transactions[-20:]
    return 200, {"data": data}


def shipyard_ships(ctx: Ctx, yard: Shipyard) -> list[dict[str, Any]]:
    """The spec's ShipyardShip objects of a shipyard, at today's prices."""
    recovery = ctx.sim.config.era.ship_price_recovery
    out = []
    for ship_type in yard.ship_types:
        t = ship_template(ship_type)
        # The api-docs spec requires "symbol" although it does not define it; the type fills it.
        out.append({"type": ship_type, "symbol": ship_type, "name": t["name"],
                    "description": f"A {t['name'].lower()}.", "supply": "MODERATE",
                    "activity": "GROWING",
                    "purchasePrice": yard.price(ship_type, ctx.now, recovery),
                    "frame": t["frame"], "reactor": t["reactor"], "engine": t["engine"],
                    "modules": t["modules"], "mounts": t["mounts"], "crew": t["crew"]})
    return out


@REGISTRY.route("GET", "/market/supply-chain", "get-supply-chain", auth=False)
def supply_chain(ctx: Ctx) -> Reply:
    """Which imports each export's factory consumes."""
    return 200, {"data": {"exportToImportMap": ctx.world.universe.supply_chain}}
