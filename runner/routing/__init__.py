"""Fuel-aware routing: exact fastest routes, OR-Tools tours and fleet splits.

Importing this package does not import OR-Tools; ``plan_tour`` and ``split_tour`` do, when
called.
"""

from runner.routing.config import RoutingConfig
from runner.routing.fleet import split_tour
from runner.routing.results import FleetSplit, Hop, NoRouteError, Route, Tour
from runner.routing.route import plan_route
from runner.routing.tour import plan_tour

__all__ = [
    "FleetSplit",
    "Hop",
    "NoRouteError",
    "Route",
    "RoutingConfig",
    "Tour",
    "plan_route",
    "plan_tour",
    "split_tour",
]
