"""plan_route on the real X1-AD75 system (82 waypoints, 25 fuel markets), every ordered pair,
against the explicit-state-graph oracle, for a frigate, a light hauler and a probe.

To keep the default run near a minute, the light hauler checks every 2nd pair and the
low-fuel starts every 7th; ST_RUN_ROUTING_ALL_PAIRS=1 checks every pair everywhere.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from runner.domain.universe import System
from runner.routing import NoRouteError, plan_route
from tests.routing.checks import replay, route_cost
from tests.routing.oracle import RULES, Point, all_pairs_oracle
from tests.routing.universe import load_snapshot_system, make_ship, ship_class_stats

REFUEL_S = 2  # the default RoutingConfig.refuel_stop_s
ALL = os.environ.get("ST_RUN_ROUTING_ALL_PAIRS") == "1"


@pytest.fixture(scope="module")
def system(samples_dir: Path) -> System:
    return load_snapshot_system(samples_dir)


@pytest.mark.slow
@pytest.mark.parametrize("ship_type", ["SHIP_COMMAND_FRIGATE", "SHIP_LIGHT_HAULER",
                                       "SHIP_PROBE"])
def test_all_pairs_full_tank(system: System, samples_dir: Path, ship_type: str) -> None:
    capacity, speed = ship_class_stats(samples_dir)[ship_type]
    every = 2 if ship_type == "SHIP_LIGHT_HAULER" and not ALL else 1
    check_all_pairs(system, capacity, speed, [capacity] * len(system), every=every)


@pytest.mark.slow
def test_frigate_low_fuel_starts(system: System, samples_dir: Path) -> None:
    capacity, speed = ship_class_stats(samples_dir)["SHIP_COMMAND_FRIGATE"]
    rng = random.Random(75)
    fuel = [rng.choice([0, 1, 5, rng.randint(0, capacity)]) for _ in range(len(system))]
    check_all_pairs(system, capacity, speed, fuel, every=1 if ALL else 7)


def check_all_pairs(system: System, capacity: int, speed: int, fuel: list[int],
                    every: int) -> None:
    waypoints = list(system)
    points = [Point(w.x, w.y, w.sells_fuel) for w in waypoints]
    index = {w.symbol: i for i, w in enumerate(waypoints)}
    expected = all_pairs_oracle(points, speed, capacity, fuel, sorted(RULES), REFUEL_S)
    ship = make_ship(capacity, speed, at=waypoints[0].symbol)
    checked = 0
    for s, a in enumerate(waypoints):
        for g, b in enumerate(waypoints):
            if (s * len(waypoints) + g) % every:
                continue
            want = expected[s][g]
            if want is None:  # only an empty tank away from fuel strands a ship here
                assert fuel[s] == 0 and capacity and not a.sells_fuel
                with pytest.raises(NoRouteError, match="tank is empty"):
                    plan_route(system, ship, a.symbol, b.symbol, fuel[s])
                checked += 1
                continue
            route = plan_route(system, ship, a.symbol, b.symbol, fuel[s])
            replay(route, points, index, speed, capacity, fuel[s] if capacity else 0, REFUEL_S)
            assert route_cost(route) == want, (a.symbol, b.symbol, fuel[s])
            checked += 1
    assert checked >= len(waypoints) ** 2 // every - len(waypoints)
