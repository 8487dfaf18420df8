"""``buy``: purchase goods at the current market, split by its trade volume."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.actions.common import (
    SYMBOL,
    UNITS,
    Expansion,
    as_text,
    as_units,
    long_form,
    split_units,
)
from runner.actions.registry import Action
from runner.domain.commands import Command, Purchase
from runner.playbook.context import StepContext
from runner.playbook.errors import StepError


def normalize(value: Any) -> dict[str, Any]:
    """``{symbol, units}``."""
    return {"symbol": value["symbol"], "units": value["units"]}


def expand(args: Mapping[str, Any], ctx: StepContext) -> list[Command]:
    """Dock and buy; StepError without cargo room or when the market does not sell it."""
    x = Expansion(ctx)
    symbol, units = as_text(args["symbol"], "symbol").upper(), as_units(args["units"])
    if x.ship.cargo.capacity <= 0:
        raise StepError(f"{x.ship.symbol} has no cargo hold")
    if units > x.ship.cargo.free and not (ctx.predicting and units <= x.ship.cargo.capacity):
        raise StepError(f"{units} units of {symbol} do not fit: {x.ship.cargo.free} free",
                        key="units")
    market = x.require_market()
    if market is not None and (market.imports or market.exports or market.exchange) \
            and not market.sells(symbol):
        raise StepError(f"the market at {x.ship.nav.waypoint} does not sell {symbol}",
                        key="symbol")
    good = market.trade_goods.get(symbol) if market is not None else None
    x.dock()
    for batch in split_units(units, good.trade_volume if good else None):
        x.add(Purchase(symbol, batch))
    return x.commands


ACTION = Action(
    name="buy", summary="Buy `units` of `symbol` at the current market (docks first; split "
                        "into trade-volume batches).",
    schema=long_form({"symbol": SYMBOL, "units": UNITS}, ("symbol", "units")),
    normalize=normalize, expand=expand, example="buy: {symbol: FUEL, units: 10}",
    needs=("dock",),
)
