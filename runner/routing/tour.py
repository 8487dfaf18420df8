"""``plan_tour``: the order of visits minimising total time (OR-Tools, imported lazily)."""

from __future__ import annotations

from collections.abc import Sequence

from runner.domain.ship import Ship
from runner.domain.universe import System
from runner.routing.config import RoutingConfig
from runner.routing.results import Tour


def plan_tour(system: System, ship: Ship, start: str, stops: Sequence[str], *, fuel_now: int,
              return_to: str | None = None, time_limit_s: float | None = None,
              config: RoutingConfig | None = None) -> Tour:
    """Visit every stop once from ``start`` (ending at ``return_to`` when given)."""
    raise NotImplementedError("plan_tour: work in progress (issue 4)")
