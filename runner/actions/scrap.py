"""``scrap``: scrap the ship at a shipyard (docked); the playbook ends with it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.actions.common import Expansion
from runner.actions.refit import at_shipyard
from runner.actions.registry import Action
from runner.domain.commands import Command, Scrap
from runner.playbook.context import StepContext


def normalize(value: Any) -> dict[str, Any]:
    """``scrap`` takes no value."""
    return {}


def expand(args: Mapping[str, Any], ctx: StepContext) -> list[Command]:
    """Dock at the shipyard and scrap."""
    x = Expansion(ctx)
    at_shipyard(x)
    x.add(Scrap())
    return x.commands


ACTION = Action(name="scrap", summary="Scrap the ship at a shipyard (docks first); the ship "
                                      "is gone, so the playbook ends there.",
                schema={"type": "null"}, normalize=normalize, expand=expand, bare=True,
                example="scrap", needs=("dock",))
