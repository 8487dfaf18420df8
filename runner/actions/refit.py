"""What the refit actions share (``install_mount``, ``remove_mount``, ``install_module``,
``remove_module``, ``repair``): docked at a shipyard, one part per step."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.actions.common import SYMBOL, Expansion, as_text, long_form
from runner.actions.registry import Action
from runner.domain.commands import Command, InstallModule, InstallMount, RemoveModule, RemoveMount
from runner.playbook.context import StepContext
from runner.playbook.errors import StepError

Part = type[InstallMount] | type[RemoveMount] | type[InstallModule] | type[RemoveModule]


def at_shipyard(x: Expansion) -> None:
    """StepError when the system data shows no shipyard where the ship is; then dock."""
    here = x.ctx.system.waypoints.get(x.ship.nav.waypoint)
    if here is not None and not here.has_shipyard:
        raise StepError(f"{here.symbol} has no shipyard; refits and repairs need one")
    x.dock()


def part_action(name: str, command: Part, summary: str) -> Action:
    """The action ``name`` sending ``command(symbol)``."""
    installs, kind = command.installs, command.kind
    prefix = "MOUNT_" if kind == "mount" else "MODULE_"

    def normalize(value: Any) -> dict[str, Any]:
        return {"symbol": value["symbol"] if isinstance(value, Mapping) else value}

    def expand(args: Mapping[str, Any], ctx: StepContext) -> list[Command]:
        symbol = as_text(args["symbol"], "symbol").upper()
        if not symbol.startswith(prefix):
            raise StepError(f"{symbol} is not a {kind} ({prefix}...)", key="symbol")
        x = Expansion(ctx)
        if installs and x.ship.cargo.count(symbol) < 1 and not ctx.predicting:
            raise StepError(f"{symbol} is not in {x.ship.symbol}'s hold; buy it first",
                            key="symbol")
        if not installs and kind == "mount" and symbol not in x.ship.mounts:
            raise StepError(f"{x.ship.symbol} has no {symbol} mounted", key="symbol")
        at_shipyard(x)
        x.add(command(symbol))
        return x.commands

    return Action(
        name=name, summary=summary,
        schema={"description": f"a {kind} symbol, or {{symbol: {prefix}...}}",
                "anyOf": [SYMBOL, long_form({"symbol": SYMBOL}, ("symbol",))]},
        normalize=normalize, expand=expand, example=f"{name}: {prefix}SURVEYOR_II"
        if kind == "mount" else f"{name}: {prefix}CARGO_HOLD_I", needs=("dock",))

