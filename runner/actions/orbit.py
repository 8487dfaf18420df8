"""``orbit``: move into orbit (nothing when already in orbit)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.actions.common import Expansion
from runner.actions.registry import Action
from runner.domain.commands import Command
from runner.playbook.context import StepContext


def normalize(value: Any) -> dict[str, Any]:
    """``orbit`` takes no value."""
    return {}


def expand(args: Mapping[str, Any], ctx: StepContext) -> list[Command]:
    """Orbit unless in orbit."""
    x = Expansion(ctx)
    x.orbit()
    return x.commands


ACTION = Action(name="orbit", summary="Move into orbit at the current waypoint.",
                schema={"type": "null"}, normalize=normalize, expand=expand, bare=True,
                example="orbit")
