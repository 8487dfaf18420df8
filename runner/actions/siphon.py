"""``siphon``: siphon gas at a gas giant (orbit first; gas siphon mount and room)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.actions.common import Expansion
from runner.actions.registry import Action
from runner.domain.commands import Command, Siphon
from runner.playbook.context import StepContext
from runner.playbook.errors import StepError

SIPHONABLE = frozenset({"GAS_GIANT"})
"""Waypoint types a gas siphon works at (elsewhere the server answers 4259)."""


def normalize(value: Any) -> dict[str, Any]:
    """``siphon`` takes no value."""
    return {}


def expand(args: Mapping[str, Any], ctx: StepContext) -> list[Command]:
    """Orbit and siphon; StepError when the ship or the waypoint cannot."""
    x = Expansion(ctx)
    if not any(m.startswith("MOUNT_GAS_SIPHON") for m in x.ship.mounts):
        raise StepError(f"{x.ship.symbol} has no gas siphon (MOUNT_GAS_SIPHON_*)")
    if x.ship.cargo.free <= 0 and not ctx.predicting:
        raise StepError(f"{x.ship.symbol}'s cargo hold is full")
    here = ctx.system.waypoints.get(x.ship.nav.waypoint)
    if here is not None and here.type not in SIPHONABLE:
        raise StepError(f"{here.symbol} ({here.type}) cannot be siphoned; siphon needs a "
                        "GAS_GIANT")
    x.orbit()
    x.add(Siphon())
    return x.commands


ACTION = Action(name="siphon", summary="Siphon gas at a gas giant (orbits first).",
                schema={"type": "null"}, normalize=normalize, expand=expand, bare=True,
                example="siphon", needs=("orbit",))
