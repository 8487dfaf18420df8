"""``repair``: repair the ship at a shipyard (docked): frame, reactor and engine to full."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.actions.common import Expansion
from runner.actions.refit import at_shipyard
from runner.actions.registry import Action
from runner.domain.commands import Command, Repair
from runner.playbook.context import StepContext


def normalize(value: Any) -> dict[str, Any]:
    """``repair`` takes no value."""
    return {}


def expand(args: Mapping[str, Any], ctx: StepContext) -> list[Command]:
    """Dock at the shipyard and repair; `register` stores {price}."""
    x = Expansion(ctx)
    at_shipyard(x)
    x.add(Repair())
    return x.commands


ACTION = Action(name="repair", summary="Repair the ship at a shipyard (docks first); "
                                       "`register` stores {price}.",
                schema={"type": "null"}, normalize=normalize, expand=expand, bare=True,
                example="repair", needs=("dock",))
