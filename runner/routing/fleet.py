"""``split_tour``: share stops among ships, minimising when the last one finishes (VRP)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from runner.domain.ship import Ship
from runner.domain.universe import System
from runner.routing.config import RoutingConfig
from runner.routing.results import FleetSplit


def split_tour(system: System, ships: Sequence[Ship], stops: Sequence[str], *,
               starts: Mapping[str, str] | None = None,
               fuel_now: Mapping[str, int] | None = None,
               return_to: str | None = None, time_limit_s: float | None = None,
               config: RoutingConfig | None = None) -> FleetSplit:
    """Assign every stop to one ship and order each ship's visits; minimise the makespan.

    ``starts``/``fuel_now`` map ship symbol to start waypoint / fuel (default: the ship's
    ``nav.waypoint`` and ``fuel.current``).
    """
    raise NotImplementedError("split_tour: work in progress (issue 4)")
