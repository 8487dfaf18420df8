"""``extract``: mine the current waypoint (orbit first; needs a mining laser and room)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.actions.common import Expansion
from runner.actions.registry import Action
from runner.domain.commands import Command, Extract
from runner.playbook.context import StepContext
from runner.playbook.errors import StepError

EXTRACTABLE = frozenset({"ASTEROID", "ASTEROID_FIELD", "ENGINEERED_ASTEROID"})
"""Waypoint types a mining laser works at (elsewhere the server answers 4205)."""


def normalize(value: Any) -> dict[str, Any]:
    """``extract`` takes no value."""
    return {}


def expand(args: Mapping[str, Any], ctx: StepContext) -> list[Command]:
    """Orbit and extract; StepError when the ship or the waypoint cannot."""
    x = Expansion(ctx)
    if not x.ship.can_mine:
        raise StepError(f"{x.ship.symbol} has no mining laser (MOUNT_MINING_LASER_*)")
    if x.ship.cargo.free <= 0 and not ctx.predicting:
        raise StepError(f"{x.ship.symbol}'s cargo hold is full")
    here = ctx.system.waypoints.get(x.ship.nav.waypoint)
    if here is not None and here.type not in EXTRACTABLE:
        raise StepError(f"{here.symbol} ({here.type}) cannot be mined; extract needs one of "
                        f"{', '.join(sorted(EXTRACTABLE))}")
    x.orbit()
    x.add(Extract())
    return x.commands


ACTION = Action(name="extract", summary="Extract resources at an asteroid (orbits first).",
                schema={"type": "null"}, normalize=normalize, expand=expand, bare=True,
                example="extract", needs=("orbit",))
