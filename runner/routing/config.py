"""Routing settings: the travel model, allowed modes, refuel overhead and solver limits."""

from __future__ import annotations

from dataclasses import dataclass

from runner.domain.ship import FlightMode
from runner.domain.travel import DEFAULT_TRAVEL_MODEL, TravelModel

ALL_MODES = frozenset(FlightMode)


@dataclass(frozen=True)
class RoutingConfig:
    """How routes and tours are planned. Hashable: routing caches hop tables per config."""

    travel: TravelModel = DEFAULT_TRAVEL_MODEL
    """Fuel and time per flight mode (multipliers as data)."""
    modes: frozenset[FlightMode] = ALL_MODES
    """Flight modes a route may use. STEALTH is dropped wherever CRUISE is as fast and cheap."""
    refuel_stop_s: int = 2
    """Seconds charged per refuel stop (dock + refuel + orbit requests), part of the objective."""
    default_fuel_price: int = 72
    """Credits per market unit of FUEL when a market's price was never seen."""
    mip_max_stops: int = 60
    """Tours with at most this many stops are solved exactly (SCIP MIP) before falling back."""
    mip_time_share: float = 0.7
    """Share of a tour's time limit the exact MIP may use before guided local search takes over."""
    tour_time_limits: tuple[tuple[int, float], ...] = ((30, 1.0), (60, 3.0))
    """Default tour time limits: rows of (at most N stops, seconds), first match wins."""
    tour_time_max: float = 5.0
    """Default tour time limit in seconds for tours larger than every ``tour_time_limits`` row."""
    split_time_limit: float = 2.0
    """Default time limit in seconds for a fleet split (VRP)."""
    leg_plan_allowance_s: float = 0.003
    """Seconds per stop kept from a tour/split time limit for planning the legs flown."""
    solver_min_share: float = 0.5
    """Tour and split limits include building the leg matrices; the solver keeps at least
    this share of the limit even when the matrices took longer."""

    def __post_init__(self) -> None:
        unknown = self.modes - set(self.travel.modes)
        if not self.modes or unknown:
            raise ValueError(f"routing modes must be known to the travel model: {sorted(unknown)}")
        if self.refuel_stop_s < 0 or self.default_fuel_price < 0:
            raise ValueError("refuel_stop_s and default_fuel_price must not be negative")

    def tour_time_limit(self, stops: int) -> float:
        """The default time limit for a tour of ``stops`` stops."""
        for most, seconds in self.tour_time_limits:
            if stops <= most:
                return seconds
        return self.tour_time_max


DEFAULT_CONFIG = RoutingConfig()
