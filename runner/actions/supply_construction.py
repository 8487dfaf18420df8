"""``supply_construction``: deliver materials to a construction site (docked there).

``{symbol: FAB_MATS, units: N | all, at: WAYPOINT}``; ``at`` defaults to the system's jump
gate, ``units`` to all aboard. The ship flies to the site and docks first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.actions.common import SYMBOL, UNITS, WAYPOINT, Expansion, as_text, as_units, long_form
from runner.actions.navigate import fly_to
from runner.actions.registry import Action
from runner.domain.commands import Command, SupplyConstruction
from runner.playbook.context import StepContext
from runner.playbook.errors import StepError
from runner.playbook.selectors import resolve_waypoint

ALL = "all"
JUMP_GATE = "JUMP_GATE"


def normalize(value: Any) -> dict[str, Any]:
    """``{symbol, units, at}`` -> ``{symbol, units: N | "all", at: WAYPOINT | None}``."""
    return {"symbol": value["symbol"], "units": value.get("units", ALL), "at": value.get("at")}


def expand(args: Mapping[str, Any], ctx: StepContext) -> list[Command]:
    """Fly to the site, dock, supply; nothing when none of the good is aboard."""
    x = Expansion(ctx)
    good = as_text(args["symbol"], "symbol").upper()
    aboard = x.ship.cargo.count(good)
    units = aboard if args.get("units", ALL) == ALL else as_units(args["units"])
    if units > aboard and not ctx.predicting:
        raise StepError(f"cannot supply {units} {good}: {aboard} aboard", key="units")
    if units <= 0:
        return []
    site = _site(args.get("at"), ctx)
    fly_to(x, site)
    x.dock()
    x.add(SupplyConstruction(good, units, site))
    return x.commands


def _site(at: Any, ctx: StepContext) -> str:
    if at is not None:
        try:
            return resolve_waypoint(at, ctx)
        except StepError as exc:
            raise StepError(exc.message, key="at") from None
    gates = [w.symbol for w in ctx.system if w.type == JUMP_GATE]
    if not gates:
        raise StepError(f"{ctx.system.symbol} has no jump gate; say where with `at`")
    return gates[0]


ACTION = Action(
    name="supply_construction",
    summary="Supply `units` (default all aboard) of `symbol` to the construction site `at` "
            "(default: the system's jump gate); flies there and docks first.",
    schema=long_form({"symbol": SYMBOL,
                      "units": {"anyOf": [UNITS, {"const": ALL}],
                                "description": "units, or `all` aboard"},
                      "at": WAYPOINT}, ("symbol",)),
    normalize=normalize, expand=expand,
    example="supply_construction: {symbol: FAB_MATS, units: all}",
    needs=("navigate to the site", "dock"),
)
