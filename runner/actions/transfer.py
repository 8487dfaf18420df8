"""``transfer``: hand cargo to another ship of the agent at the same waypoint.

``{to: SHIP, symbol: GOOD | all, units: N}``: the other ship is named by a ship selector (a
symbol, ``{role: R}``, ``{index: N}``); both ships must be at one waypoint and in one nav
state, so the acting ship docks or orbits to match the other first. A target elsewhere, in
transit or without room fails the step before anything is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.actions.common import SYMBOL, UNITS, Expansion, as_text, as_units, long_form
from runner.actions.registry import Action
from runner.domain.commands import Command, Transfer
from runner.domain.ship import NavStatus, Ship
from runner.playbook.context import StepContext
from runner.playbook.errors import StepError
from runner.playbook.selectors import resolve_ship

ALL = "all"
SHIP: Mapping[str, Any] = {
    "description": "a ship: a symbol, {symbol: S}, {role: R} or {index: N}",
    "anyOf": [SYMBOL, {"type": "object", "minProperties": 1, "maxProperties": 1,
                       "additionalProperties": False,
                       "properties": {"symbol": SYMBOL, "role": SYMBOL,
                                      "index": {"type": "integer", "minimum": 1}}}],
}


def normalize(value: Any) -> dict[str, Any]:
    """``{to, symbol, units}`` -> ``{to, symbol, units: N | None}`` (None: all aboard)."""
    return {"to": value["to"], "symbol": value["symbol"], "units": value.get("units")}


def expand(args: Mapping[str, Any], ctx: StepContext) -> list[Command]:
    """Match the other ship's nav state, then one Transfer per good."""
    x = Expansion(ctx)
    target = _target(args["to"], x.ship, ctx)
    lots = _lots(x, as_text(args["symbol"], "symbol"), args.get("units"), ctx.predicting)
    if not lots:
        return []
    wanted = sum(units for _, units in lots)
    if wanted > target.cargo.free and not ctx.predicting:
        raise StepError(f"{target.symbol} has room for {target.cargo.free} units, not "
                        f"{wanted}", key="units")
    if target.nav.status is NavStatus.DOCKED:
        x.dock()
    else:
        x.orbit()
    for good, units in lots:
        x.add(Transfer(good, units, target.symbol))
    return x.commands


def _target(selector: Any, ship: Ship, ctx: StepContext) -> Ship:
    try:
        target = resolve_ship(selector, ctx.ships)
    except StepError as exc:
        raise StepError(exc.message, key="to") from None
    if target.symbol == ship.symbol:
        raise StepError(f"{ship.symbol} cannot transfer cargo to itself", key="to")
    if target.nav.status is NavStatus.IN_TRANSIT:
        raise StepError(f"{target.symbol} is in transit to {target.nav.waypoint}; a transfer "
                        "needs both ships at one waypoint", key="to")
    if target.nav.waypoint != ship.nav.waypoint:
        raise StepError(f"{target.symbol} is at {target.nav.waypoint}, {ship.symbol} at "
                        f"{ship.nav.waypoint}; a transfer needs both ships at one waypoint",
                        key="to")
    return target


def _lots(x: Expansion, symbol: str, units: Any, predicting: bool) -> list[tuple[str, int]]:
    if symbol == ALL:
        return [(g, n) for g, n in sorted(x.ship.cargo.inventory.items()) if n > 0]
    good = symbol.upper()
    aboard = x.ship.cargo.count(good)
    wanted = aboard if units is None else as_units(units)
    if wanted > aboard and not predicting:
        raise StepError(f"cannot transfer {wanted} {good}: {aboard} aboard", key="units")
    return [(good, wanted)] if wanted > 0 else []


ACTION = Action(
    name="transfer",
    summary="Hand cargo to another ship at the same waypoint: `symbol` (a good or `all`), "
            "`units` (default: all aboard). Docks or orbits to match the other ship first; "
            "fails if it is elsewhere.",
    schema=long_form({"to": SHIP, "symbol": SYMBOL, "units": UNITS}, ("to", "symbol")),
    normalize=normalize, expand=expand,
    example="transfer: {to: {role: HAULER}, symbol: all}",
    needs=("dock or orbit as the other ship",),
)
