"""What routing returns: hops, routes, tours and fleet splits (pure values)."""

from __future__ import annotations

from dataclasses import dataclass

from runner.domain.ship import FlightMode
from runner.errors import StRunError


class NoRouteError(StRunError):
    """No fuel-feasible route exists."""


@dataclass(frozen=True)
class Hop:
    """One navigate: optionally refuel at ``origin`` first, then fly to ``destination``.

    ``refuel_units`` are market units bought at ``origin`` before the flight (1 unit = 100 ship
    fuel, capped at the tank); ``fuel_used``/``fuel_left`` are ship fuel units, ``fuel_left``
    after arrival. ``duration_s`` is the flight time only.
    """

    origin: str
    destination: str
    mode: FlightMode
    distance: float
    fuel_used: int
    fuel_left: int
    duration_s: int
    refuel_units: int = 0
    refuel_cost: int = 0

    @property
    def refuels(self) -> bool:
        """True when the ship refuels at ``origin`` before this hop."""
        return self.refuel_units > 0


@dataclass(frozen=True)
class Route:
    """A planned route. ``total_duration_s`` = flight time + refuel stops × refuel_stop_s.

    That total is the objective the planner minimises; ties go to fewer hops, then fewer refuel
    stops, then fewer market units bought.
    """

    start: str
    goal: str
    hops: tuple[Hop, ...]
    total_duration_s: int
    flight_duration_s: int
    refuel_stops: int
    fuel_bought_units: int
    fuel_cost: int
    fuel_left: int

    @property
    def waypoints(self) -> tuple[str, ...]:
        """Start, every intermediate stop, goal."""
        return (self.start, *(h.destination for h in self.hops))


@dataclass(frozen=True)
class Tour:
    """Visits in order, each leg a fuel-feasible ``Route`` planned with the fuel then aboard.

    ``order`` lists the stops (not the start; ``return_to`` last when given).
    ``total_duration_s`` sums the legs' totals. ``planned_cost_s`` is the cost of the order on
    the leg-cost matrix the solver saw; ``proven_optimal`` means the solver proved the order
    optimal for that matrix; ``matrix_exact`` means the matrix equals the real leg times (every
    stop sells fuel and refuel stops cost 0 s, or a ship without a tank; see
    ``runner.routing.legs``). Otherwise each real leg may differ from the matrix by refuel
    overhead or, at stops without fuel, by the fuel really aboard.
    """

    start: str
    order: tuple[str, ...]
    legs: tuple[Route, ...]
    total_duration_s: int
    planned_cost_s: int
    method: str  # "exact-mip" | "guided-local-search" | "trivial"
    proven_optimal: bool
    matrix_exact: bool = True

    @property
    def hops(self) -> tuple[Hop, ...]:
        """Every hop of every leg, in flight order."""
        return tuple(h for leg in self.legs for h in leg.hops)


@dataclass(frozen=True)
class FleetSplit:
    """Stops shared among ships: one ``Tour`` per ship symbol (possibly with no stops).

    ``makespan_s`` is the latest ship's real total (legs flown with the fuel aboard);
    ``planned_makespan_s`` the same on the leg-cost matrices the solver saw.
    """

    tours: dict[str, Tour]
    makespan_s: int
    method: str
    proven_optimal: bool = False
    planned_makespan_s: int = 0
