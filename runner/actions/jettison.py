"""``jettison``: throw cargo out: a symbol (all of it) or ``{symbol, units}``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.actions.common import SYMBOL, UNITS, Expansion, as_text, as_units, long_form
from runner.actions.registry import Action
from runner.domain.commands import Command, Jettison
from runner.playbook.context import StepContext


def normalize(value: Any) -> dict[str, Any]:
    """``SYMBOL`` | ``{symbol, units}`` -> ``{symbol, units: int|None}``."""
    if isinstance(value, Mapping):
        return {"symbol": value["symbol"], "units": value.get("units")}
    return {"symbol": value, "units": None}


def expand(args: Mapping[str, Any], ctx: StepContext) -> list[Command]:
    """Jettison up to the units aboard; nothing when none are aboard."""
    x = Expansion(ctx)
    good = as_text(args["symbol"], "symbol").upper()
    aboard = x.ship.cargo.count(good)
    units = aboard if args.get("units") is None else as_units(args["units"])
    if not ctx.predicting:
        units = min(units, aboard)
    return [Jettison(good, units)] if units > 0 else []


ACTION = Action(
    name="jettison", summary="Throw cargo out: a symbol (all of it) or {symbol, units}.",
    schema={"description": "a trade symbol, or {symbol, units}",
            "anyOf": [SYMBOL, long_form({"symbol": SYMBOL, "units": UNITS}, ("symbol",))]},
    normalize=normalize, expand=expand, example="jettison: {symbol: ICE_WATER}",
)
