"""plan_tour against Held-Karp on the same leg-cost matrix; tour legs replayed; split_tour."""

from __future__ import annotations

import itertools
import random
import subprocess
import sys

import pytest

from runner.domain.universe import System
from runner.routing import NoRouteError, RoutingConfig, plan_route, plan_tour, split_tour
from runner.routing.graph import system_graph
from runner.routing.legs import leg_costs, leg_reserve
from runner.routing.route import ship_table
from runner.routing.tsp import path_cost, solve_gls, solve_mip
from tests.routing.universe import make_ship, random_system

ZERO_REFUEL = RoutingConfig(refuel_stop_s=0)


def held_karp(cost: list[list[int]]) -> int:
    """Optimal start(0) -> all stops -> end(N-1) path cost, by DP over subsets."""
    n = len(cost)
    stops = list(range(1, n - 1))
    best: dict[tuple[int, int], int] = {(1 << i, s): cost[0][s] for i, s in enumerate(stops)}
    for size in range(2, len(stops) + 1):
        for combo in itertools.combinations(range(len(stops)), size):
            mask = sum(1 << i for i in combo)
            for i in combo:
                prev = mask & ~(1 << i)
                best[(mask, stops[i])] = min(best[(prev, stops[j])] + cost[stops[j]][stops[i]]
                                             for j in combo if j != i)
    full = (1 << len(stops)) - 1
    return min(best[(full, s)] + cost[s][n - 1] for s in stops)


def tour_matrix(system: System, capacity: int, speed: int, start: str, stops: list[str],
                fuel: int, return_to: str | None, cfg: RoutingConfig) -> list[list[int]]:
    """The matrix plan_tour solves, rebuilt here for an all-fuel-seller instance."""
    graph = system_graph(system)
    table = ship_table(graph, make_ship(capacity, speed), cfg)
    nodes = [graph.index[start], *(graph.index[s] for s in stops)]
    cols = nodes[1:] + ([graph.index[return_to]] if return_to else [])
    rows = []
    for i, node in enumerate(nodes):
        row = leg_costs(graph, table, node, fuel if i == 0 else capacity, capacity, cols, cfg)
        rows.append([0, *row[: len(stops)], row[-1] if return_to else 0])
    rows.append([0] * (len(nodes) + 1))
    return rows


@pytest.mark.parametrize("seed", range(12))
def test_tour_matches_held_karp(seed: int) -> None:
    rng = random.Random(seed)
    system = random_system(rng, 40, fuel_share=1.0, span=600)
    symbols = [w.symbol for w in system]
    k = rng.randint(2, 12) if seed % 3 else 12
    start, *stops = rng.sample(symbols, k + 1)
    capacity, speed = rng.choice([(400, 36), (600, 15), (0, 9), (80, 9)])
    fuel = rng.randint(0, capacity)
    return_to = rng.choice([None, start, rng.choice(symbols)])
    if return_to in stops:
        return_to = None
    ship = make_ship(capacity, speed)
    tour = plan_tour(system, ship, start, stops, fuel_now=fuel, return_to=return_to,
                     time_limit_s=60.0, config=ZERO_REFUEL)
    matrix = tour_matrix(system, capacity, speed, start, stops, fuel, return_to, ZERO_REFUEL)
    assert tour.proven_optimal and tour.method in ("exact-mip", "trivial")
    assert tour.matrix_exact
    assert tour.planned_cost_s == held_karp(matrix)
    # With every stop selling fuel and free refuels, the legs flown cost exactly the matrix.
    assert tour.total_duration_s == tour.planned_cost_s
    visited = [s for s in tour.order]
    assert sorted(set(visited) - {return_to}) == sorted(stops)
    at, fuel_left = start, (fuel if capacity else 0)
    for stop, leg in zip(tour.order, tour.legs, strict=True):
        assert leg.start == at and leg.goal == stop
        assert leg == plan_route(system, ship, at, stop, fuel_left, config=ZERO_REFUEL)
        at, fuel_left = stop, leg.fuel_left


@pytest.mark.parametrize("seed", range(4))
def test_gls_and_mip_agree_with_held_karp_on_asymmetric_matrices(seed: int) -> None:
    rng = random.Random(100 + seed)
    n = rng.randint(5, 11)
    cost = [[0 if i == j else rng.randint(1, 500) for j in range(n)] for i in range(n)]
    for i in range(n):
        cost[i][n - 1] = 0 if seed % 2 else cost[i][n - 1]
    best = held_karp(cost)
    exact = solve_mip(cost, 30.0)
    assert exact is not None and exact.proven_optimal and exact.cost == best
    assert sorted(exact.order) == list(range(1, n - 1))
    gls = solve_gls(cost, 0.3)
    assert gls.cost >= best and sorted(gls.order) == list(range(1, n - 1))
    assert path_cost(cost, gls.order) == gls.cost


def test_large_tour_falls_back_to_gls_and_visits_everything() -> None:
    rng = random.Random(7)
    system = random_system(rng, 60, fuel_share=0.4)
    symbols = [w.symbol for w in system]
    ship = make_ship(400, 36)
    stops = symbols[1:41]
    tour = plan_tour(system, ship, symbols[0], stops, fuel_now=100, time_limit_s=1.0,
                     config=RoutingConfig(mip_max_stops=20))
    assert tour.method == "guided-local-search" and not tour.proven_optimal
    assert not tour.matrix_exact  # some stops sell no fuel
    assert sorted(tour.order) == sorted(stops)
    assert tour.legs[0].start == symbols[0]
    assert tour.total_duration_s <= tour.planned_cost_s + 2 * len(tour.legs)


def test_split_tour_covers_every_stop_once() -> None:
    rng = random.Random(11)
    system = random_system(rng, 50, fuel_share=0.5)
    symbols = [w.symbol for w in system]
    ships = [make_ship(400, 36, symbol="S-1", at=symbols[0]),
             make_ship(0, 9, symbol="S-2", at=symbols[1]),
             make_ship(600, 15, symbol="S-3", at=symbols[2], fuel=50)]
    stops = symbols[3:23]
    split = split_tour(system, ships, stops, time_limit_s=0.5)
    seen = [s for tour in split.tours.values() for s in tour.order]
    assert sorted(seen) == sorted(stops)
    assert split.makespan_s == max(t.total_duration_s for t in split.tours.values())
    for symbol, tour in split.tours.items():
        ship = next(s for s in ships if s.symbol == symbol)
        assert tour.start == ship.nav.waypoint
        graph = system_graph(system)
        table = ship_table(graph, ship, RoutingConfig())
        # the matrix's fuel assumption at dry stops is kept, so flying never loses time
        # against the plan beyond refuel overhead at sellers
        assert tour.total_duration_s <= tour.planned_cost_s + 2 * len(tour.legs)
        fuel = ship.fuel.current
        for leg in tour.legs:
            # legs to waypoints without fuel land with the fuel the next leg assumes
            keep = leg_reserve(graph, table, leg.goal, ship.fuel.capacity, RoutingConfig())
            assert keep == (0 if system[leg.goal].sells_fuel or not ship.fuel.capacity
                            else max(1, keep))
            assert leg.fuel_left >= keep
            assert leg == plan_route(system, ship, leg.start, leg.goal, fuel, min_fuel_left=keep)
            fuel = leg.fuel_left


def test_unreachable_stop_is_reported() -> None:
    rng = random.Random(5)
    system = random_system(rng, 12, fuel_share=0.0)
    symbols = [w.symbol for w in system]
    ship = make_ship(100, 30)
    with pytest.raises(NoRouteError):
        plan_tour(system, ship, symbols[0], symbols[1:5], fuel_now=0)


def test_importing_routing_does_not_import_ortools() -> None:
    code = ("import sys, runner.routing; "
            "assert not any(m.startswith('ortools') for m in sys.modules), 'ortools imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("seed", range(6))
def test_mirrored_stop_rows_equal_searching_both_ways(seed: int) -> None:
    from runner.routing.legs import departure_fuel, stop_rows

    rng = random.Random(300 + seed)
    system = random_system(rng, 40, fuel_share=0.5, span=700)
    graph = system_graph(system)
    capacity, speed = rng.choice([(400, 36), (600, 15), (80, 9), (0, 9)])
    cfg = RoutingConfig(refuel_stop_s=rng.choice([0, 2, 30]))
    table = ship_table(graph, make_ship(capacity, speed), cfg)
    stops = rng.sample(range(len(graph.symbols)), 12)
    rows = stop_rows(graph, table, stops, [], capacity, cfg)
    for i, node in enumerate(stops):
        fuel = departure_fuel(graph, table, node, capacity, cfg)
        assert rows[i] == leg_costs(graph, table, node, fuel, capacity, stops, cfg)


@pytest.mark.parametrize("seed", range(8))
def test_tours_through_fuel_deserts_never_strand(seed: int) -> None:
    """Sparse fuel, many dry stops: every leg replays under the oracle's rules, chained."""
    from tests.routing.checks import replay
    from tests.routing.oracle import Point

    rng = random.Random(500 + seed)
    system = random_system(rng, 45, fuel_share=0.15, span=700)
    waypoints = list(system)
    points = [Point(w.x, w.y, w.sells_fuel) for w in waypoints]
    index = {w.symbol: i for i, w in enumerate(waypoints)}
    capacity, speed = rng.choice([(400, 36), (600, 15), (80, 9)])
    ship = make_ship(capacity, speed)
    start, *stops = rng.sample([w.symbol for w in waypoints], 9)
    fuel = rng.randint(1, capacity)
    tour = plan_tour(system, ship, start, stops, fuel_now=fuel, time_limit_s=0.5,
                     return_to=rng.choice([None, start]))
    at = start
    for leg in tour.legs:
        assert leg.start == at
        replay(leg, points, index, speed, capacity, fuel, RoutingConfig().refuel_stop_s)
        at, fuel = leg.goal, leg.fuel_left
        assert fuel >= 1 or system[at].sells_fuel
    assert tour.total_duration_s <= tour.planned_cost_s + 2 * len(tour.legs)
