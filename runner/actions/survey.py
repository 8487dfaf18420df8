"""``survey``: survey the current waypoint (orbit first; needs a surveyor)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.actions.common import Expansion
from runner.actions.registry import Action
from runner.domain.commands import Command, Survey
from runner.playbook.context import StepContext
from runner.playbook.errors import StepError


def normalize(value: Any) -> dict[str, Any]:
    """``survey`` takes no value."""
    return {}


def expand(args: Mapping[str, Any], ctx: StepContext) -> list[Command]:
    """Orbit and survey; StepError without a surveyor mount."""
    x = Expansion(ctx)
    if not x.ship.can_survey:
        raise StepError(f"{x.ship.symbol} has no surveyor (MOUNT_SURVEYOR_*)")
    x.orbit()
    x.add(Survey())
    return x.commands


ACTION = Action(name="survey", summary="Survey the current waypoint (orbits first).",
                schema={"type": "null"}, normalize=normalize, expand=expand, bare=True,
                example="survey", needs=("orbit",))
