"""``split_tour``: share stops among ships, minimising when the last one finishes (VRP).

OR-Tools routing with one vehicle per ship (each with its own leg-cost matrix, so ships of
different speed or tank work together), open ends through a shared dummy node (or a shared
``return_to``), a time dimension whose global span carries a large cost (the makespan), and
guided local search under a time limit. The result is best found, never proven.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from runner.domain.ship import Ship
from runner.domain.universe import System
from runner.errors import InvalidInput
from runner.routing.config import DEFAULT_CONFIG, RoutingConfig
from runner.routing.graph import SystemGraph, system_graph
from runner.routing.legs import UNREACHABLE, leg_costs, stop_rows, stops_exact
from runner.routing.results import FleetSplit, NoRouteError, Tour
from runner.routing.route import checked_fuel, ship_table, waypoint_index
from runner.routing.tour import fly_legs, unique_stops

VRP_FIRST_SOLUTIONS = ("PARALLEL_CHEAPEST_INSERTION", "LOCAL_CHEAPEST_INSERTION",
                       "GLOBAL_CHEAPEST_ARC")
"""First solutions for splits (best of three seeds GLS; PATH_CHEAPEST_ARC puts every stop on
one ship, and SAVINGS/CHRISTOFIDES find nothing with several start nodes)."""

MAKESPAN_WEIGHT = 100
"""Objective = total time + this × makespan: the makespan first, wasted time second."""


def split_tour(system: System, ships: Sequence[Ship], stops: Sequence[str], *,
               starts: Mapping[str, str] | None = None,
               fuel_now: Mapping[str, int] | None = None,
               return_to: str | None = None, time_limit_s: float | None = None,
               config: RoutingConfig | None = None) -> FleetSplit:
    """Assign every stop to one ship and order each ship's visits; minimise the makespan.

    ``starts``/``fuel_now`` map ship symbol to start waypoint / fuel (default: the ship's
    ``nav.waypoint`` and ``fuel.current``). Every ship ends at ``return_to`` when given.
    ``time_limit_s`` (default ``config.split_time_limit``) covers building the matrices too,
    but the solver always keeps ``config.solver_min_share`` of it.
    """
    cfg = config or DEFAULT_CONFIG
    began = time.monotonic()
    if not ships:
        raise InvalidInput("split_tour needs at least one ship")
    graph = system_graph(system)
    start_of = {s.symbol: (starts or {}).get(s.symbol, s.nav.waypoint) for s in ships}
    fuel_of = {s.symbol: checked_fuel(s, (fuel_now or {}).get(s.symbol, s.fuel.current))
               for s in ships}
    first = [waypoint_index(graph, system, start_of[s.symbol]) for s in ships]
    end = None if return_to is None else waypoint_index(graph, system, return_to)
    targets = unique_stops(graph.index, system, stops, skip={return_to})
    extra = [end] if end is not None else []
    by_class: dict[tuple[int, int], list[list[int]]] = {}
    for ship in ships:  # stop-to-stop legs depend only on the ship class
        key = (ship.engine_speed, ship.fuel.capacity)
        if key not in by_class:
            by_class[key] = stop_rows(graph, ship_table(graph, ship, cfg), targets, extra,
                                      ship.fuel.capacity, cfg)
    matrices = [vehicle_matrix(graph, ship, v, first, fuel_of[ship.symbol], targets, end,
                               by_class[(ship.engine_speed, ship.fuel.capacity)], cfg)
                for v, ship in enumerate(ships)]
    limit = cfg.split_time_limit if time_limit_s is None else time_limit_s
    # The limit covers the whole call, but the solver always keeps a share of it.
    spent = time.monotonic() - began + cfg.leg_plan_allowance_s * len(targets)
    left = max(limit * cfg.solver_min_share, limit - spent)
    routes = solve_vrp(matrices, len(ships), left)
    tours: dict[str, Tour] = {}
    for v, ship in enumerate(ships):
        order = tuple(graph.symbols[targets[k - 1 - len(ships)]] for k in routes[v])
        cost = sum(matrices[v][a][b] for a, b in zip([1 + v, *routes[v]], [*routes[v], 0],
                                                     strict=True))
        if cost >= UNREACHABLE:
            raise NoRouteError(f"no fuel-feasible split: {ship.symbol} cannot reach a stop")
        visits = order
        if return_to is not None and (return_to != start_of[ship.symbol] or visits):
            visits = (*visits, return_to)
        legs = fly_legs(system, ship, start_of[ship.symbol], visits, fuel_of[ship.symbol], cfg)
        tours[ship.symbol] = Tour(
            start_of[ship.symbol], visits, legs, sum(leg.total_duration_s for leg in legs),
            cost, "guided-local-search", False,
            stops_exact(graph, [targets[k - 1 - len(ships)] for k in routes[v]],
                        ship.fuel.capacity, cfg))
    makespan = max(t.total_duration_s for t in tours.values())
    planned = max(t.planned_cost_s for t in tours.values())
    return FleetSplit(tours, makespan, "guided-local-search", False, planned)


def vehicle_matrix(graph: SystemGraph, ship: Ship, v: int, first: Sequence[int], fuel: int,
                   targets: Sequence[int], end: int | None, rows: list[list[int]],
                   cfg: RoutingConfig) -> list[list[int]]:
    """Node costs for ship ``v``: node 0 the end, 1..V the ships' starts, then the stops.
    ``rows`` are the class's stop rows (``stop_rows``)."""
    table = ship_table(graph, ship, cfg)
    columns = [*targets, *([end] if end is not None else [])]
    n = 1 + len(first) + len(targets)
    matrix = [[UNREACHABLE] * n for _ in range(n)]
    start_row = leg_costs(graph, table, first[v], fuel, ship.fuel.capacity, columns, cfg)
    origins = [(1 + v, start_row)] + [(1 + len(first) + k, list(r)) for k, r in enumerate(rows)]
    for node, row in origins:
        back = row.pop() if end is not None else 0
        matrix[node][0] = back
        for k, c in enumerate(row):
            matrix[node][1 + len(first) + k] = c
    return matrix


def solve_vrp(matrices: Sequence[list[list[int]]], vehicles: int,
              time_limit_s: float) -> list[list[int]]:
    """Per vehicle, the stop nodes it visits in order (guided local search)."""
    from ortools.constraint_solver import pywrapcp

    from runner.routing.tsp import SEED_SHARE, best_first_solution, improve

    n = len(matrices[0])
    manager = pywrapcp.RoutingIndexManager(n, vehicles, list(range(1, vehicles + 1)),
                                           [0] * vehicles)
    routing = pywrapcp.RoutingModel(manager)
    transits = [routing.RegisterTransitMatrix(m) for m in matrices]
    for v, cb in enumerate(transits):
        routing.SetArcCostEvaluatorOfVehicle(cb, v)
    routing.AddDimensionWithVehicleTransits(transits, 0, UNREACHABLE * n, True, "time")
    routing.GetDimensionOrDie("time").SetGlobalSpanCostCoefficient(MAKESPAN_WEIGHT)
    deadline = time.monotonic() + time_limit_s
    seed = best_first_solution(routing, VRP_FIRST_SOLUTIONS, time_limit_s * SEED_SHARE)
    solution = improve(routing, seed, deadline - time.monotonic())
    return [_vehicle_nodes(routing, manager, solution, v) for v in range(vehicles)]


def _vehicle_nodes(routing: Any, manager: Any, solution: Any, v: int) -> list[int]:
    nodes = []
    index = solution.Value(routing.NextVar(routing.Start(v)))
    while not routing.IsEnd(index):
        nodes.append(manager.IndexToNode(index))
        index = solution.Value(routing.NextVar(index))
    return nodes
