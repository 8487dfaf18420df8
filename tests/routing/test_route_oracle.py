"""plan_route against the independent textbook oracle on random small systems (hypothesis).

Set ST_RUN_ROUTING_EXAMPLES (default 250 per test) for a longer run, e.g. 3000.
"""

from __future__ import annotations

import os
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from runner.domain.ship import FlightMode
from runner.domain.travel import ModeRule, TravelModel
from runner.domain.universe import FUEL, Market, System, Waypoint
from runner.routing import NoRouteError, RoutingConfig, plan_route
from tests.routing.checks import replay, route_cost
from tests.routing.oracle import RULES, Point, dijkstra_oracle
from tests.routing.universe import make_ship

EXAMPLES = int(os.environ.get("ST_RUN_ROUTING_EXAMPLES", "250"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def small_systems(draw: st.DrawFn, span: int = 160, least: int = 2) -> list[Point]:
    """``least``-7 waypoints; some orbit an earlier one (same x, y); any share sells fuel."""
    n = draw(st.integers(least, 7))
    points: list[Point] = []
    for _ in range(n):
        if points and draw(st.integers(0, 5)) == 0:
            parent = draw(st.sampled_from(points))
            x, y = parent.x, parent.y
        else:
            x, y = draw(st.integers(-span, span)), draw(st.integers(-span, span))
        points.append(Point(x, y, draw(st.booleans())))
    return points


def as_system(points: list[Point]) -> System:
    wps = []
    for i, p in enumerate(points):
        market = Market(f"X1-T-W{i}", exchange=frozenset({FUEL})) if p.sells_fuel else None
        wps.append(Waypoint(f"X1-T-W{i}", "X1-T", "PLANET", p.x, p.y, market=market))
    return System.of("X1-T", wps)


def check(points: list[Point], capacity: int, speed: int, fuel: int, start: int, goal: int,
          modes: frozenset[str], refuel_s: int, model: TravelModel | None = None,
          reserve: int = 0) -> None:
    system = as_system(points)
    ship = make_ship(capacity, speed)
    cfg = RoutingConfig(modes=frozenset(FlightMode(m) for m in modes), refuel_stop_s=refuel_s,
                        **({"travel": model} if model else {}))
    rules = RULES if model is None else {
        r.mode.value: (Fraction(r.multiplier), r.fuel_per_distance, r.fuel_fixed)
        for r in model.rules}
    base = Fraction(15) if model is None else Fraction(model.base_seconds)
    fuel = min(fuel, capacity)
    reserve = min(reserve, capacity)
    expected = dijkstra_oracle(points, speed, capacity, start, goal, fuel, sorted(modes),
                               refuel_s, rules, base, reserve)
    s, g = f"X1-T-W{start}", f"X1-T-W{goal}"
    event("probe" if capacity == 0 else "ship with a tank")
    event("no route" if expected is None else f"route with {expected[2]} refuel stop(s)")
    if expected is None:
        with pytest.raises(NoRouteError, match="no route"):
            plan_route(system, ship, s, g, fuel, config=cfg, min_fuel_left=reserve)
        return
    route = plan_route(system, ship, s, g, fuel, config=cfg, min_fuel_left=reserve)
    index = {f"X1-T-W{i}": i for i in range(len(points))}
    if model is None:
        replay(route, points, index, speed, capacity, fuel, refuel_s)
    assert route_cost(route) == expected


capacities = st.sampled_from([0, 30, 80, 100, 150, 200, 300])
speeds = st.sampled_from([1, 2, 3, 9, 15, 25, 30, 36])


@SETTINGS
@given(points=small_systems(), capacity=capacities, speed=speeds, data=st.data())
def test_matches_oracle_all_modes(points: list[Point], capacity: int, speed: int,
                                  data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(points) - 1))
    goal = data.draw(st.integers(0, len(points) - 1))
    fuel = data.draw(st.integers(0, capacity))
    refuel_s = data.draw(st.sampled_from([0, 2, 60]))
    reserve = data.draw(st.sampled_from([0, 0, 1, 30]))
    check(points, capacity, speed, fuel, start, goal, frozenset(RULES), refuel_s,
          reserve=reserve)


@SETTINGS
@given(points=small_systems(span=300), capacity=capacities, speed=speeds, data=st.data())
def test_matches_oracle_restricted_modes_and_deserts(points: list[Point], capacity: int,
                                                     speed: int, data: st.DataObject) -> None:
    """Without DRIFT, long gaps and empty tanks leave no route: both must agree on that."""
    modes = data.draw(st.sets(st.sampled_from(sorted(RULES)), min_size=1))
    start = data.draw(st.integers(0, len(points) - 1))
    goal = data.draw(st.integers(0, len(points) - 1))
    fuel = data.draw(st.integers(0, capacity))
    check(points, capacity, speed, fuel, start, goal, frozenset(modes),
          data.draw(st.sampled_from([0, 2, 30])))


@SETTINGS
@given(points=small_systems(), capacity=st.sampled_from([0, 80, 150, 300]), speed=speeds,
       data=st.data())
def test_matches_oracle_with_other_travel_models(points: list[Point], capacity: int,
                                                 speed: int, data: st.DataObject) -> None:
    """Multipliers are data: odd tables (and bases where the A* bound is off) stay exact."""
    mult = st.sampled_from([2.5, 5.0, 10.0, 12.5, 25.0, 37.5, 100.0, 300.0])
    model = TravelModel((
        ModeRule(FlightMode.CRUISE, data.draw(mult), 1),
        ModeRule(FlightMode.BURN, data.draw(mult), data.draw(st.integers(1, 3))),
        ModeRule(FlightMode.DRIFT, data.draw(mult), 0, data.draw(st.integers(0, 2))),
    ), base_seconds=data.draw(st.sampled_from([0.0, 2.5, 15.0])))
    start = data.draw(st.integers(0, len(points) - 1))
    goal = data.draw(st.integers(0, len(points) - 1))
    fuel = data.draw(st.integers(0, capacity))
    check(points, capacity, speed, fuel, start, goal,
          frozenset({"CRUISE", "BURN", "DRIFT"}), data.draw(st.sampled_from([0, 2, 45])),
          model)


@SETTINGS
@given(points=small_systems(span=220, least=5),
       capacity=st.sampled_from([30, 80, 100, 150, 200]),
       speed=speeds, data=st.data())
def test_matches_oracle_fuel_constrained(points: list[Point], capacity: int, speed: int,
                                         data: st.DataObject) -> None:
    """Tanks small against the distances and low starting fuel: refuel chains and drifting."""
    start = data.draw(st.integers(0, len(points) - 1))
    goal = data.draw(st.integers(0, len(points) - 1).filter(lambda g: g != start))
    fuel = data.draw(st.integers(0, min(capacity, 40)))
    check(points, capacity, speed, fuel, start, goal, frozenset(RULES),
          data.draw(st.sampled_from([0, 2, 20])), reserve=data.draw(st.sampled_from([0, 1])))
