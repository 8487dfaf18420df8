"""``dock``: dock at the current waypoint (nothing when already docked)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.actions.common import Expansion
from runner.actions.registry import Action
from runner.domain.commands import Command
from runner.playbook.context import StepContext


def normalize(value: Any) -> dict[str, Any]:
    """``dock`` takes no value."""
    return {}


def expand(args: Mapping[str, Any], ctx: StepContext) -> list[Command]:
    """Dock unless docked."""
    x = Expansion(ctx)
    x.dock()
    return x.commands


ACTION = Action(name="dock", summary="Dock at the current waypoint.", schema={"type": "null"},
                normalize=normalize, expand=expand, bare=True, example="dock")
