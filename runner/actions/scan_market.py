"""``scan_market``: read the market (with prices) where the ship is."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.actions.common import Expansion
from runner.actions.registry import Action
from runner.domain.commands import Command, ScanMarket
from runner.playbook.context import StepContext


def normalize(value: Any) -> dict[str, Any]:
    """``scan_market`` takes no value."""
    return {}


def expand(args: Mapping[str, Any], ctx: StepContext) -> list[Command]:
    """One ScanMarket of the current waypoint; StepError when it has no market."""
    x = Expansion(ctx)
    x.require_market()
    return [ScanMarket(x.ship.nav.waypoint)]


ACTION = Action(name="scan_market",
                summary="Read the market at the current waypoint, prices included.",
                schema={"type": "null"}, normalize=normalize, expand=expand, bare=True,
                example="scan_market")
