"""``sell``: sell cargo at the current market: ``all``, one symbol, or ``{symbol, units}``.

``sell: all`` sells every good aboard that the market buys (all goods when the market's
listing is unknown), one command per good and trade-volume batch.
"""

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
from runner.domain.commands import Command, Sell
from runner.domain.universe import Market
from runner.playbook.context import StepContext
from runner.playbook.errors import StepError

ALL = "all"


def normalize(value: Any) -> dict[str, Any]:
    """``all`` | ``SYMBOL`` | ``{symbol, units}`` -> ``{symbol, units: int|None}``."""
    if isinstance(value, Mapping):
        return {"symbol": value["symbol"], "units": value.get("units")}
    return {"symbol": value, "units": None}


def expand(args: Mapping[str, Any], ctx: StepContext) -> list[Command]:
    """Dock and sell; nothing when there is nothing to sell."""
    x = Expansion(ctx)
    symbol = as_text(args["symbol"], "symbol")
    market = x.require_market()
    lots = _lots(x, symbol, args.get("units"), market, ctx.predicting)
    if not lots:
        return []
    x.dock()
    for good, units in lots:
        volume = market.trade_goods[good].trade_volume \
            if market is not None and good in market.trade_goods else None
        for batch in split_units(units, volume):
            x.add(Sell(good, batch))
    return x.commands


def _lots(x: Expansion, symbol: str, units: Any, market: Market | None,
          predicting: bool) -> list[tuple[str, int]]:
    listed = market is not None and bool(market.imports or market.exports or market.exchange)
    if symbol == ALL:
        inventory = sorted(x.ship.cargo.inventory.items())
        return [(g, n) for g, n in inventory if n > 0 and (not listed or market.buys(g))]  # type: ignore[union-attr]
    good = symbol.upper()
    if listed and not market.buys(good):  # type: ignore[union-attr]
        raise StepError(f"the market at {x.ship.nav.waypoint} does not buy {good}", key="symbol")
    aboard = x.ship.cargo.count(good)
    wanted = aboard if units is None else as_units(units)
    if wanted > aboard and not predicting:
        raise StepError(f"cannot sell {wanted} {good}: {aboard} aboard", key="units")
    return [(good, wanted)] if wanted > 0 else []


ACTION = Action(
    name="sell",
    summary="Sell cargo at the current market: `all`, a symbol (all of it) or "
            "{symbol, units}. Docks first; split into trade-volume batches.",
    schema={"description": "`all`, a trade symbol, or {symbol, units}",
            "anyOf": [SYMBOL, long_form({"symbol": SYMBOL, "units": UNITS}, ("symbol",))]},
    normalize=normalize, expand=expand, example="sell: all", needs=("dock",),
)
