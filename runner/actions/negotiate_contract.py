"""``negotiate_contract``: ask the faction at this waypoint for a new contract (docks first)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.actions.common import Expansion
from runner.actions.registry import Action
from runner.domain.commands import Command, NegotiateContract
from runner.playbook.context import StepContext


def normalize(value: Any) -> dict[str, Any]:
    """``negotiate_contract`` takes no value."""
    return {}


def expand(args: Mapping[str, Any], ctx: StepContext) -> list[Command]:
    """Dock and negotiate."""
    x = Expansion(ctx)
    x.dock()
    x.add(NegotiateContract())
    return x.commands


ACTION = Action(name="negotiate_contract",
                summary="Negotiate a new contract at a faction waypoint (docks first).",
                schema={"type": "null"}, normalize=normalize, expand=expand, bare=True,
                example="negotiate_contract", needs=("dock",))
