"""Trading: refuel, purchase, sell and jettison (markets move their prices after trades)."""

from __future__ import annotations

import math
from typing import Any

from runner.sim.api import Ctx, Reply
from runner.sim.clock import iso
from runner.sim.errors import game_error
from runner.sim.routes import REGISTRY
from runner.sim.routes.ships import require_docked, require_not_in_transit, ship_for
from runner.sim.ship import Ship
from runner.sim.universe import Market, MarketGood

FUEL_PER_MARKET_UNIT = 100


def market_here(ctx: Ctx, ship: Ship) -> Market:
    market: Market | None = ctx.world.universe.markets.get(ship.waypoint)
    if market is None:
        raise game_error(4601, f"There is no marketplace at {ship.waypoint}.",
                         waypointSymbol=ship.waypoint)
    return market


def _transaction(ship: Ship, good: str, kind: str, units: int, price: int,
                 now: float) -> dict[str, Any]:
    return {"waypointSymbol": ship.waypoint, "shipSymbol": ship.symbol, "tradeSymbol": good,
            "type": kind, "units": units, "pricePerUnit": price, "totalPrice": units * price,
            "timestamp": iso(now)}


def _charge(ctx: Ctx, total: int) -> None:
    agent = ctx.me()
    if total > agent.credits:
        raise game_error(4600, f"Agent has insufficient funds: {total} credits needed, "
                         f"{agent.credits} available.", creditsAvailable=agent.credits,
                         totalPrice=total)
    agent.credits -= total


def _check_volume(good: MarketGood, units: int, market: Market) -> None:
    if units > good.trade_volume:
        raise game_error(4604, f"Market {market.symbol} accepts at most {good.trade_volume} "
                         f"units of {good.symbol} per transaction.", waypointSymbol=market.symbol,
                         tradeSymbol=good.symbol, units=units, tradeVolume=good.trade_volume)


@REGISTRY.route("POST", "/my/ships/{shipSymbol}/refuel", "refuel")
def refuel(ctx: Ctx) -> Reply:
    ship = ship_for(ctx)
    wanted = ctx.field("units", int, required=False, minimum=1)
    from_cargo = ctx.field("fromCargo", bool, required=False, default=False)
    require_docked(ship, ctx.now)
    missing = ship.fuel_capacity - ship.fuel
    units = missing if wanted is None else min(wanted, missing)
    market_units = math.ceil(units / FUEL_PER_MARKET_UNIT)  # charged per started market unit
    market = market_here(ctx, ship)
    good = market.goods.get("FUEL")
    if good is None:
        raise game_error(4601, f"Market {market.symbol} does not sell FUEL.",
                         waypointSymbol=market.symbol, tradeSymbol="FUEL")
    good.settle(ctx.now)
    price = good.purchase_price()
    if from_cargo:
        _take_cargo(ship, "FUEL", market_units)
        price = 0
    else:
        _charge(ctx, market_units * price)
    ship.fuel += units
    good.trade(market_units, buying=True)
    tx = _transaction(ship, "FUEL", "PURCHASE", market_units, price, ctx.now)
    market.transactions.append(tx)
    return 200, {"data": {"agent": ctx.me().to_json(), "fuel": ship.fuel_json(),
                          "transaction": tx, "cargo": ship.cargo_json()}}


def _take_cargo(ship: Ship, symbol: str, units: int) -> None:
    held = ship.cargo.get(symbol, 0)
    if held == 0:
        raise game_error(4218, f"Ship {ship.symbol} has no {symbol} in its cargo.",
                         shipSymbol=ship.symbol, tradeSymbol=symbol)
    if units > held:
        raise game_error(4219, f"Ship {ship.symbol} holds {held} units of {symbol}, fewer than "
                         f"{units}.", shipSymbol=ship.symbol, tradeSymbol=symbol,
                         cargoUnits=held, unitsToRemove=units)
    ship.remove_cargo(symbol, units)


def _trade_args(ctx: Ctx) -> tuple[Ship, str, int]:
    ship = ship_for(ctx)
    symbol = ctx.field("symbol", str)
    units = ctx.field("units", int, minimum=1)
    return ship, symbol, units


@REGISTRY.route("POST", "/my/ships/{shipSymbol}/purchase", "purchase")
def purchase(ctx: Ctx) -> Reply:
    ship, symbol, units = _trade_args(ctx)
    require_docked(ship, ctx.now)
    market = market_here(ctx, ship)
    good = market.goods.get(symbol)
    if good is None:
        raise game_error(4601, f"Market {market.symbol} does not sell {symbol}.",
                         waypointSymbol=market.symbol, tradeSymbol=symbol)
    _check_volume(good, units, market)
    free = ship.cargo_capacity - ship.cargo_units
    if units > free:
        raise game_error(4217, f"Ship {ship.symbol} has room for {free} more units, not "
                         f"{units}.", shipSymbol=ship.symbol, cargoCapacity=ship.cargo_capacity,
                         cargoUnits=ship.cargo_units, unitsToAdd=units)
    good.settle(ctx.now)
    price = good.purchase_price()
    _charge(ctx, units * price)
    ship.add_cargo(symbol, units)
    return _traded(ctx, ship, market, good, symbol, units, price, "PURCHASE")


@REGISTRY.route("POST", "/my/ships/{shipSymbol}/sell", "sell")
def sell(ctx: Ctx) -> Reply:
    ship, symbol, units = _trade_args(ctx)
    require_docked(ship, ctx.now)
    market = market_here(ctx, ship)
    good = market.goods.get(symbol)
    if good is None:
        raise game_error(4602, f"Market {market.symbol} does not buy {symbol}.",
                         waypointSymbol=market.symbol, tradeSymbol=symbol)
    _check_volume(good, units, market)
    _take_cargo(ship, symbol, units)
    good.settle(ctx.now)
    price = good.sell_price()
    ctx.me().credits += units * price
    market.deliver_imports(symbol, units, ctx.sim.config.era.supply_growth_levels,
                           ctx.world.universe.supply_chain)
    return _traded(ctx, ship, market, good, symbol, units, price, "SELL")


def _traded(ctx: Ctx, ship: Ship, market: Market, good: MarketGood, symbol: str, units: int,
            price: int, kind: str) -> Reply:
    """After a purchase or sale was paid and the cargo moved: move the price, record the
    transaction at the market, and answer with agent, cargo and transaction."""
    good.trade(units, buying=kind == "PURCHASE")
    tx = _transaction(ship, symbol, kind, units, price, ctx.now)
    market.transactions.append(tx)
    return 201, {"data": {"agent": ctx.me().to_json(), "cargo": ship.cargo_json(),
                          "transaction": tx}}


@REGISTRY.route("POST", "/my/ships/{shipSymbol}/jettison", "jettison")
def jettison(ctx: Ctx) -> Reply:
    ship, symbol, units = _trade_args(ctx)
    require_not_in_transit(ship, ctx.now)
    _take_cargo(ship, symbol, units)
    return 200, {"data": {"cargo": ship.cargo_json()}}
