"""``deliver``: deliver cargo for a contract (docks first)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.actions.common import SYMBOL, TEXT, UNITS, Expansion, as_text, as_units, long_form
from runner.actions.registry import Action
from runner.domain.commands import Command, Deliver
from runner.playbook.context import StepContext


def normalize(value: Any) -> dict[str, Any]:
    """``SYMBOL`` | ``{symbol, units, contract}`` -> ``{symbol, units, contract}``."""
    if isinstance(value, Mapping):
        return {"symbol": value["symbol"], "units": value.get("units"),
                "contract": value.get("contract")}
    return {"symbol": value, "units": None, "contract": None}


def expand(args: Mapping[str, Any], ctx: StepContext) -> list[Command]:
    """Dock and deliver the units aboard (or ``units``); nothing when none are aboard."""
    x = Expansion(ctx)
    good = as_text(args["symbol"], "symbol").upper()
    aboard = x.ship.cargo.count(good)
    units = aboard if args.get("units") is None else as_units(args["units"])
    if not ctx.predicting:
        units = min(units, aboard)
    if units <= 0:
        return []
    contract = args.get("contract")
    x.dock()
    x.add(Deliver(None if contract is None else as_text(contract, "contract"), good, units))
    return x.commands


ACTION = Action(
    name="deliver",
    summary="Deliver cargo for a contract: a symbol (all aboard) or {symbol, units, contract} "
            "(default: the active contract). Docks first.",
    schema={"description": "a trade symbol, or {symbol, units, contract}",
            "anyOf": [SYMBOL, long_form({"symbol": SYMBOL, "units": UNITS, "contract": TEXT},
                                        ("symbol",))]},
    normalize=normalize, expand=expand, example="deliver: {symbol: IRON_ORE}", needs=("dock",),
)
