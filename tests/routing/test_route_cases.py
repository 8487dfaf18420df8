"""plan_route contract cases: empty route, errors, probes, drift, caching."""

from __future__ import annotations

import pytest

from runner.domain.ship import FlightMode
from runner.domain.universe import FUEL, Market, System, TradeGood, Waypoint
from runner.errors import InvalidInput, StRunError
from runner.routing import NoRouteError, RoutingConfig, plan_route
from runner.routing import graph as graph_module
from tests.routing.universe import make_ship


def line_system() -> System:
    """A (fuel, price 60) -- 300 -- B (no fuel) -- 300 -- C (fuel, unknown price); M orbits A."""
    fuel_a = Market("X1-L-A", exchange=frozenset({FUEL}),
                    trade_goods={FUEL: TradeGood(FUEL, "EXCHANGE", 100, 60, 55)})
    fuel_c = Market("X1-L-C", exchange=frozenset({FUEL}))
    return System.of("X1-L", [
        Waypoint("X1-L-A", "X1-L", "PLANET", 0, 0, market=fuel_a),
        Waypoint("X1-L-M", "X1-L", "MOON", 0, 0, orbits="X1-L-A"),
        Waypoint("X1-L-B", "X1-L", "ASTEROID", 300, 0),
        Waypoint("X1-L-C", "X1-L", "PLANET", 600, 0, market=fuel_c),
    ])


def test_start_equals_goal_is_an_empty_route() -> None:
    route = plan_route(line_system(), make_ship(400, 30), "X1-L-B", "X1-L-B", 7)
    assert route.hops == () and route.total_duration_s == 0 and route.fuel_left == 7


def test_refuels_in_market_units_and_prices_them() -> None:
    route = plan_route(line_system(), make_ship(400, 30), "X1-L-A", "X1-L-C", 50)
    assert route.refuel_stops == 1
    first = route.hops[0]
    assert first.origin == "X1-L-A" and first.refuel_units >= 1
    assert first.refuel_cost == 60 * first.refuel_units
    assert route.fuel_cost == sum(h.refuel_cost for h in route.hops)


def test_unknown_price_uses_the_default() -> None:
    cfg = RoutingConfig(default_fuel_price=99)
    route = plan_route(line_system(), make_ship(300, 30), "X1-L-C", "X1-L-A", 0, config=cfg)
    assert route.hops[0].refuel_cost == 99 * route.hops[0].refuel_units


def test_orbital_hop_costs_distance_one() -> None:
    route = plan_route(line_system(), make_ship(400, 30), "X1-L-A", "X1-L-M", 400)
    (hop,) = route.hops
    assert hop.mode == FlightMode.BURN and hop.fuel_used == 2 and hop.distance == 0.0


def test_probe_flies_direct_in_the_fastest_mode_without_fuel() -> None:
    route = plan_route(line_system(), make_ship(0, 9), "X1-L-A", "X1-L-C", 0)
    (hop,) = route.hops
    assert hop.mode == FlightMode.BURN and hop.fuel_used == 0 and route.fuel_bought_units == 0


def test_low_fuel_start_away_from_fuel_drifts() -> None:
    route = plan_route(line_system(), make_ship(400, 30), "X1-L-B", "X1-L-C", 3)
    assert route.hops[0].mode == FlightMode.DRIFT and route.hops[0].fuel_used == 1


def test_empty_tank_away_from_fuel_names_why() -> None:
    with pytest.raises(NoRouteError, match="tank is empty and X1-L-B sells no fuel") as err:
        plan_route(line_system(), make_ship(400, 30), "X1-L-B", "X1-L-A", 0)
    assert isinstance(err.value, StRunError)


def test_gap_longer_than_the_tank_without_drift_names_the_gap() -> None:
    cfg = RoutingConfig(modes=frozenset({FlightMode.CRUISE, FlightMode.BURN}))
    with pytest.raises(NoRouteError, match=r"no fuel within 300 units of X1-L-B.*capacity is 200"):
        plan_route(line_system(), make_ship(200, 30), "X1-L-B", "X1-L-C", 200, config=cfg)


def test_bad_input_is_invalid_input() -> None:
    system, ship = line_system(), make_ship(400, 30)
    with pytest.raises(InvalidInput, match="not in system X1-L"):
        plan_route(system, ship, "X1-L-A", "X1-L-Z", 10)
    with pytest.raises(InvalidInput, match="outside the tank"):
        plan_route(system, ship, "X1-L-A", "X1-L-B", 401)


def test_tables_are_built_once_per_system_and_ship_class(monkeypatch: pytest.MonkeyPatch) -> None:
    system, ship = line_system(), make_ship(400, 30)
    builds = {"graph": 0, "hops": 0}
    real_build, real_hops = graph_module.SystemGraph.build, graph_module._build_hops

    def count_graph(cls: type, s: System) -> graph_module.SystemGraph:
        builds["graph"] += 1
        return real_build(s)

    def count_hops(*args: object) -> graph_module.HopTable:
        builds["hops"] += 1
        return real_hops(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(graph_module.SystemGraph, "build", classmethod(count_graph))
    monkeypatch.setattr(graph_module, "_build_hops", count_hops)
    for goal in ("X1-L-B", "X1-L-C", "X1-L-M"):
        plan_route(system, ship, "X1-L-A", goal, 400)
    assert builds == {"graph": 1, "hops": 1}
    plan_route(system, make_ship(400, 15), "X1-L-A", "X1-L-C", 400)
    assert builds == {"graph": 1, "hops": 2}


def test_landing_reserve_that_cannot_be_met_names_it() -> None:
    with pytest.raises(NoRouteError, match="lands with 400 fuel left"):
        plan_route(line_system(), make_ship(400, 30), "X1-L-A", "X1-L-B", 400,
                   min_fuel_left=400)
    route = plan_route(line_system(), make_ship(400, 30), "X1-L-A", "X1-L-B", 400,
                       min_fuel_left=50)
    assert route.fuel_left >= 50
