"""Shared assertions: replay a planned route with the oracle's own rules."""

from __future__ import annotations

from collections.abc import Sequence

from runner.routing import Route
from tests.routing.oracle import Point, charged_distance, flight


def route_cost(route: Route) -> tuple[int, int, int, int]:
    """The lexicographic cost the oracle computes, read off a planned route."""
    return (route.total_duration_s, len(route.hops), route.refuel_stops, route.fuel_bought_units)


def replay(route: Route, points: Sequence[Point], index: dict[str, int], speed: int,
           capacity: int, fuel: int, refuel_s: int) -> None:
    """Fly ``route`` step by step under the oracle's rules; fail on any inconsistency."""
    at = route.start
    stops = 0
    total = 0
    for hop in route.hops:
        assert hop.origin == at, f"hop starts at {hop.origin}, ship is at {at}"
        u, v = index[hop.origin], index[hop.destination]
        if hop.refuel_units:
            assert points[u].sells_fuel, f"refuel at {hop.origin}, which sells no fuel"
            assert fuel < capacity, "refuel with a full tank"
            assert fuel + 100 * (hop.refuel_units - 1) < capacity, "bought a unit too many"
            fuel = min(capacity, fuel + 100 * hop.refuel_units)
            stops += 1
        need, secs = flight(hop.mode.value, charged_distance(points[u], points[v]), speed,
                            capacity)
        assert hop.fuel_used == need and hop.duration_s == secs, hop
        assert need <= fuel, f"hop {hop} needs {need} fuel, the tank holds {fuel}"
        fuel -= need
        assert hop.fuel_left == fuel
        total += secs
        at = hop.destination
    assert at == route.goal
    assert route.fuel_left == fuel
    assert route.refuel_stops == stops
    assert route.flight_duration_s == total
    assert route.total_duration_s == total + stops * refuel_s
    assert route.fuel_bought_units == sum(h.refuel_units for h in route.hops)
