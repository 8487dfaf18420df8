"""``refuel``: fill the tank (or buy ``units`` ship fuel) at the current market."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.actions.common import UNITS, Expansion, as_units, long_form
from runner.actions.registry import Action
from runner.domain.commands import Command, Refuel
from runner.domain.universe import FUEL
from runner.playbook.context import StepContext
from runner.playbook.errors import StepError


def normalize(value: Any) -> dict[str, Any]:
    """``refuel`` or ``{units, from_cargo}`` -> ``{units: int|None, from_cargo: bool}``."""
    value = value if isinstance(value, Mapping) else {}
    return {"units": value.get("units"), "from_cargo": bool(value.get("from_cargo", False))}


def expand(args: Mapping[str, Any], ctx: StepContext) -> list[Command]:
    """Dock and refuel; nothing when the tank is full or the ship has none."""
    x = Expansion(ctx)
    room = x.ship.fuel.capacity - x.ship.fuel.current
    if room <= 0:
        return []
    units = None if args.get("units") is None else min(room, as_units(args["units"]))
    from_cargo = bool(args.get("from_cargo"))
    market = x.require_market()
    if not from_cargo and market is not None and not market.trades(FUEL):
        raise StepError(f"the market at {x.ship.nav.waypoint} does not sell fuel")
    x.dock()
    x.add(Refuel(units=units, from_cargo=from_cargo))
    return x.commands


ACTION = Action(
    name="refuel",
    summary="Refuel at the current market: fill the tank, or `units` ship fuel "
            "(`from_cargo: true` burns FUEL carried as cargo). Docks first.",
    schema={"description": "nothing (fill the tank) or {units, from_cargo}",
            "anyOf": [{"type": "null"},
                      long_form({"units": UNITS, "from_cargo": {"type": "boolean"}})]},
    normalize=normalize, expand=expand, bare=True, example="refuel", needs=("dock",),
)
