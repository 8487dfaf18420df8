"""``transfer``: hand cargo to another ship of the agent at the same waypoint.

``{to: SHIP, symbol: GOOD | all, units: N}``: the other ship is named by a ship selector (a
symbol, ``{role: R}``, ``{index: N}``); both ships must be at one waypoint and in one nav
state, so the acting ship docks or orbits to match the other first. A target elsewhere, in
transit or without room fails the step before anything is sent.

``to: {role: R, here: true}`` (or ``{symbol: S, here: true}``) waits instead: for a ship of
that role at the acting ship's waypoint, not in transit, with room for the whole load (its
free cargo less the units other ships reserved), at most ``wait`` (default 10m) of game
time; then the acting ship matches its nav state and hands the load over. The wait is the
runner's (``AwaitShip``): a plan predicts none.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.actions.common import SYMBOL, UNITS, Expansion, as_text, as_units, long_form
from runner.actions.registry import Action
from runner.domain.commands import AwaitShip, Command, Transfer
from runner.domain.ship import NavStatus, Ship
from runner.playbook.context import StepContext
from runner.playbook.errors import StepError
from runner.playbook.keywords import DURATION, TEMPLATE, parse_duration
from runner.playbook.selectors import resolve_ship

ALL = "all"
HERE = "here"
DEFAULT_WAIT_S = 600.0
"""How long (game seconds) ``to: {..., here: true}`` waits for a ship when ``wait`` is not
given."""
SHIP: Mapping[str, Any] = {
    "description": "a ship: a symbol, {symbol: S}, {role: R} or {index: N}; "
                   "{role: R, here: true} or {symbol: S, here: true} waits for it here",
    "anyOf": [SYMBOL,
              {"type": "object", "minProperties": 1, "maxProperties": 1,
               "additionalProperties": False,
               "properties": {"symbol": SYMBOL, "role": SYMBOL,
                              "index": {"type": "integer", "minimum": 1}}},
              {"type": "object", "required": [HERE], "minProperties": 2, "maxProperties": 2,
               "additionalProperties": False,
               "properties": {"symbol": SYMBOL, "role": SYMBOL, HERE: {"type": "boolean"}}}],
}
WAIT: Mapping[str, Any] = {
    "description": DURATION["description"] + " (how long `here: true` waits for the ship, "
                   "default 10m; then the step fails)",
    "anyOf": [*DURATION["anyOf"], TEMPLATE],
}


def normalize(value: Any) -> dict[str, Any]:
    """``{to, symbol, units, wait}`` -> the same with ``units: None`` (all aboard) and
    ``wait: None`` (the default) when left out."""
    return {"to": value["to"], "symbol": value["symbol"], "units": value.get("units"),
            "wait": value.get("wait")}


def expand(args: Mapping[str, Any], ctx: StepContext) -> list[Command]:
    """Match the other ship's nav state, then one Transfer per good; with ``here: true``,
    an AwaitShip first (the runner finds the ship and matches its nav state)."""
    x = Expansion(ctx)
    lots = _lots(x, as_text(args["symbol"], "symbol"), args.get("units"), ctx.predicting)
    selector = args["to"]
    if isinstance(selector, Mapping) and selector.get(HERE) is True:
        return _await_then_transfer(x, selector, lots, args.get("wait"))
    if isinstance(selector, Mapping) and HERE in selector:
        selector = {k: v for k, v in selector.items() if k != HERE}
    elif args.get("wait") is not None:
        raise StepError("`wait` needs `to: {role: R, here: true}` (a ship waited for here)",
                        key="wait")
    target = _target(selector, x.ship, ctx)
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


def _await_then_transfer(x: Expansion, selector: Mapping[str, Any],
                         lots: list[tuple[str, int]], wait: Any) -> list[Command]:
    if not lots:
        return []
    try:
        seconds = DEFAULT_WAIT_S if wait is None else parse_duration(wait)
    except ValueError as exc:
        raise StepError(str(exc), key="wait") from None
    role, symbol = selector.get("role"), selector.get("symbol")
    x.add(AwaitShip(waypoint=x.ship.nav.waypoint, units=sum(n for _, n in lots),
                    seconds=seconds, role="" if role is None else as_text(role, "role"),
                    symbol="" if symbol is None else as_text(symbol, "symbol")))
    for good, units in lots:
        x.add(Transfer(good, units))
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
            "fails if it is elsewhere. `to: {role: R, here: true}` waits (at most `wait`, "
            "default 10m) for a ship of that role here with room for the whole load, "
            "reserving that room so other ships cannot take it.",
    schema=long_form({"to": SHIP, "symbol": SYMBOL, "units": UNITS, "wait": WAIT},
                     ("to", "symbol")),
    normalize=normalize, expand=expand,
    example="transfer: {to: {role: HAULER}, symbol: all}",
    needs=("dock or orbit as the other ship",),
)
