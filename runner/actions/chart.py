"""``chart``: chart the uncharted waypoint the ship is at (pays the chart reward)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.actions.common import Expansion
from runner.actions.registry import Action
from runner.domain.commands import Chart, Command
from runner.playbook.context import StepContext


def normalize(value: Any) -> dict[str, Any]:
    """``chart`` takes no value."""
    return {}


def expand(args: Mapping[str, Any], ctx: StepContext) -> list[Command]:
    """One Chart; nothing when the system data shows the waypoint charted already."""
    x = Expansion(ctx)
    here = ctx.system.waypoints.get(x.ship.nav.waypoint)
    if here is not None and Chart.charted(here.traits):
        return []
    x.add(Chart(x.ship.nav.waypoint))
    return x.commands


ACTION = Action(name="chart",
                summary="Chart the waypoint the ship is at (skipped when it is charted).",
                schema={"type": "null"}, normalize=normalize, expand=expand, bare=True,
                example="chart")
