"""``plan_tour``: the order of visits minimising total time (OR-Tools, imported lazily)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from runner.domain.ship import Ship
from runner.domain.universe import System
from runner.errors import InvalidInput
from runner.routing.config import DEFAULT_CONFIG, RoutingConfig
from runner.routing.graph import system_graph
from runner.routing.legs import (
    UNREACHABLE,
    leg_costs,
    leg_reserve,
    stop_rows,
    stops_exact,
)
from runner.routing.results import NoRouteError, Route, Tour
from runner.routing.route import checked_fuel, plan_route, ship_table, waypoint_index
from runner.routing.tsp import solve_path


def plan_tour(system: System, ship: Ship, start: str, stops: Sequence[str], *, fuel_now: int,
              return_to: str | None = None, time_limit_s: float | None = None,
              config: RoutingConfig | None = None) -> Tour:
    """Visit every stop once from ``start``, ending at ``return_to`` when given.

    Duplicate stops, ``start`` and ``return_to`` are dropped from ``stops`` (they are visited
    anyway). The order minimises the leg-cost matrix (see ``runner.routing.legs``): proven
    optimal by a MIP up to ``config.mip_max_stops`` stops when it finishes in time, else
    guided local search, all within ``time_limit_s`` (default by size, see ``RoutingConfig``;
    building the leg matrix counts against it, but the solver always keeps
    ``config.solver_min_share`` of it, so a slow matrix can overrun the limit).
    Every leg is then planned with ``plan_route`` and the fuel really aboard.
    """
    cfg = config or DEFAULT_CONFIG
    began = time.monotonic()
    graph = system_graph(system)
    fuel = checked_fuel(ship, fuel_now)
    s = waypoint_index(graph, system, start)
    end = None if return_to is None else waypoint_index(graph, system, return_to)
    targets = unique_stops(graph.index, system, stops, skip={start, return_to})
    capacity = ship.fuel.capacity
    table = ship_table(graph, ship, cfg)
    nodes = [s, *targets]
    limit = cfg.tour_time_limit(len(targets)) if time_limit_s is None else time_limit_s
    extra = [end] if end is not None else []
    columns = [*targets, *extra]
    rows = [leg_costs(graph, table, s, fuel, capacity, columns, cfg),
            *stop_rows(graph, table, targets, extra, capacity, cfg)]
    # column 0 (the start) is never entered; the last column is the end (0 for open tours)
    matrix = [[0, *row[: len(targets)], row[-1] if extra else 0] for row in rows]
    matrix.append([0] * (len(nodes) + 1))
    # The limit covers the whole call, but the solver always keeps a share of it.
    spent = time.monotonic() - began + cfg.leg_plan_allowance_s * len(targets)
    left = max(limit * cfg.solver_min_share, limit - spent)
    solution = solve_path(matrix, left, mip_max_stops=cfg.mip_max_stops,
                          mip_time_share=cfg.mip_time_share)
    if solution.cost >= UNREACHABLE:
        raise NoRouteError(f"no fuel-feasible tour for {ship.symbol} from {start}: "
                           "some stop cannot be reached")
    visits = tuple(graph.symbols[nodes[k]] for k in solution.order)
    if return_to is not None and (return_to != start or visits):
        visits = (*visits, return_to)
    legs = fly_legs(system, ship, start, visits, fuel, cfg)
    exact = stops_exact(graph, columns, capacity, cfg)
    return Tour(start, visits, legs, sum(leg.total_duration_s for leg in legs), solution.cost,
                solution.method, solution.proven_optimal, exact)


def unique_stops(index: dict[str, int], system: System, stops: Sequence[str],
                 skip: set[str | None]) -> list[int]:
    """Stop indices in first-seen order, without duplicates and ``skip``."""
    out: list[int] = []
    for symbol in stops:
        if symbol in skip:
            continue
        if symbol not in index:
            raise InvalidInput(f"waypoint {symbol} is not in system {system.symbol}")
        if index[symbol] not in out:
            out.append(index[symbol])
    return out


def fly_legs(system: System, ship: Ship, start: str, visits: Sequence[str], fuel: int,
             cfg: RoutingConfig) -> tuple[Route, ...]:
    """Plan each leg in turn with the fuel left by the previous one."""
    legs: list[Route] = []
    at = start
    graph = system_graph(system)
    table = ship_table(graph, ship, cfg)
    for target in visits:
        keep = leg_reserve(graph, table, target, ship.fuel.capacity, cfg)
        leg = plan_route(system, ship, at, target, fuel, config=cfg, min_fuel_left=keep)
        legs.append(leg)
        fuel, at = leg.fuel_left, target
    return tuple(legs)
