"""Hamiltonian paths on a cost matrix: exact (SCIP MIP with subtour cuts) or guided local
search (OR-Tools routing). OR-Tools is imported inside the functions, never at import time.

Nodes are ``0`` (the start), ``1..N-2`` (the stops) and ``N-1`` (the end: the return waypoint,
or a dummy every stop reaches at cost 0 for an open tour). A solution is the order of the stops.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from runner.routing.results import NoRouteError

Matrix = Sequence[Sequence[int]]

FIRST_SOLUTIONS = ("PATH_CHEAPEST_ARC", "SAVINGS", "CHRISTOFIDES",
                   "PARALLEL_CHEAPEST_INSERTION", "LOCAL_CHEAPEST_INSERTION")
"""First-solution strategies tried before guided local search; the best one seeds it."""

SEED_SHARE = 0.25
"""Share of the local-search time limit that first solutions may use."""


@dataclass(frozen=True)
class PathSolution:
    """The visiting order of the stops (node indices), its cost, and how it was found."""

    order: tuple[int, ...]
    cost: int
    method: str
    proven_optimal: bool


def path_cost(cost: Matrix, order: Sequence[int]) -> int:
    """Cost of start -> order... -> end."""
    nodes = [0, *order, len(cost) - 1]
    return sum(cost[a][b] for a, b in itertools.pairwise(nodes))


def solve_path(cost: Matrix, time_limit_s: float, *, mip_max_stops: int,
               mip_time_share: float) -> PathSolution:
    """Exact when the stops fit ``mip_max_stops`` and SCIP proves it within its share of the
    time limit; otherwise guided local search for the remaining time."""
    stops = len(cost) - 2
    if stops <= 1:
        order = tuple(range(1, stops + 1))
        return PathSolution(order, path_cost(cost, order), "trivial", True)
    deadline = time.monotonic() + time_limit_s
    if stops <= mip_max_stops:
        exact = solve_mip(cost, time_limit_s * mip_time_share)
        if exact is not None:
            return exact
    return solve_gls(cost, max(0.05, deadline - time.monotonic()))


def solve_mip(cost: Matrix, time_limit_s: float) -> PathSolution | None:
    """The proven optimum by SCIP with lazily added subtour cuts, or None on timeout."""
    from ortools.linear_solver import pywraplp

    n = len(cost)
    inner = range(1, n - 1)
    symmetric = all(cost[i][j] == cost[j][i] for i in inner for j in inner if i < j)
    solver = pywraplp.Solver.CreateSolver("SCIP")
    if solver is None:
        return None
    deadline = time.monotonic() + time_limit_s
    x = (_symmetric_model if symmetric else _directed_model)(solver, cost)
    while True:
        left_ms = int((deadline - time.monotonic()) * 1000)
        if left_ms <= 0:
            return None
        solver.SetTimeLimit(left_ms)
        if solver.Solve() != pywraplp.Solver.OPTIMAL:
            return None
        chosen = [arc for arc, var in x.items() if var.solution_value() > 0.5]
        order, cycles = _split_components(n, chosen, symmetric)
        if not cycles:
            return PathSolution(tuple(order), path_cost(cost, order), "exact-mip", True)
        for cycle in cycles:
            members = set(cycle)
            solver.Add(solver.Sum(var for (a, b), var in x.items()
                                  if a in members and b in members) <= len(cycle) - 1)


def _symmetric_model(solver: Any, cost: Matrix) -> dict[tuple[int, int], Any]:
    """Edge variables; degree 1 at start and end, 2 at every stop."""
    n = len(cost)
    x: dict[tuple[int, int], Any] = {}
    for i in range(n):
        for j in range(i + 1, n):
            if (i, j) != (0, n - 1):
                x[(i, j)] = solver.BoolVar(f"x{i}_{j}")
    for k in range(n):
        degree = 1 if k in (0, n - 1) else 2
        solver.Add(solver.Sum(v for (a, b), v in x.items() if k in (a, b)) == degree)
    solver.Minimize(solver.Sum(cost[a][b] * v for (a, b), v in x.items()))
    return x


def _directed_model(solver: Any, cost: Matrix) -> dict[tuple[int, int], Any]:
    """Arc variables; one arc out of start and every stop, one into every stop and the end."""
    n = len(cost)
    x: dict[tuple[int, int], Any] = {}
    for i in range(n - 1):
        for j in range(1, n):
            if i != j and (i, j) != (0, n - 1):
                x[(i, j)] = solver.BoolVar(f"x{i}_{j}")
    for k in range(n - 1):
        solver.Add(solver.Sum(v for (a, _), v in x.items() if a == k) == 1)
    for k in range(1, n):
        solver.Add(solver.Sum(v for (_, b), v in x.items() if b == k) == 1)
    for i in range(1, n - 1):
        for j in range(i + 1, n - 1):
            solver.Add(x[(i, j)] + x[(j, i)] <= 1)
    solver.Minimize(solver.Sum(cost[a][b] * v for (a, b), v in x.items()))
    return x


def _split_components(n: int, chosen: list[tuple[int, int]],
                      symmetric: bool) -> tuple[list[int], list[list[int]]]:
    """The stops on the start-end path in order, and the cycles among the other stops."""
    adj: dict[int, list[int]] = {k: [] for k in range(n)}
    for a, b in chosen:
        adj[a].append(b)
        if symmetric:
            adj[b].append(a)
    seen = {0}
    order: list[int] = []
    prev, cur = -1, 0
    while cur != n - 1:
        nxt = next(k for k in adj[cur] if k != prev and k not in seen)
        prev, cur = cur, nxt
        seen.add(cur)
        if cur != n - 1:
            order.append(cur)
    cycles = []
    for k in range(1, n - 1):
        if k in seen:
            continue
        cycle = [k]
        seen.add(k)
        stack = [k]
        while stack:
            for m in adj[stack.pop()]:
                if m not in seen:
                    seen.add(m)
                    cycle.append(m)
                    stack.append(m)
        cycles.append(cycle)
    return order, cycles


def solve_gls(cost: Matrix, time_limit_s: float) -> PathSolution:
    """Guided local search from the best of several first solutions."""
    from ortools.constraint_solver import pywrapcp

    n = len(cost)
    manager = pywrapcp.RoutingIndexManager(n, 1, [0], [n - 1])
    routing = pywrapcp.RoutingModel(manager)
    transit = routing.RegisterTransitMatrix([[int(c) for c in row] for row in cost])
    routing.SetArcCostEvaluatorOfAllVehicles(transit)
    deadline = time.monotonic() + time_limit_s
    seed = best_first_solution(routing, FIRST_SOLUTIONS, time_limit_s * SEED_SHARE)
    solution = improve(routing, seed, deadline - time.monotonic())
    index = routing.Start(0)
    order: list[int] = []
    index = solution.Value(routing.NextVar(index))
    while not routing.IsEnd(index):
        order.append(manager.IndexToNode(index))
        index = solution.Value(routing.NextVar(index))
    return PathSolution(tuple(order), path_cost(cost, order), "guided-local-search", False)


def best_first_solution(routing: Any, strategies: Sequence[str], budget_s: float) -> Any:
    """The cheapest first solution (each followed by the default descent) among strategies,
    trying them in order while ``budget_s`` lasts (the first one always runs)."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    best = None
    deadline = time.monotonic() + budget_s
    for name in strategies:
        left = deadline - time.monotonic()
        if best is not None and left <= 0:
            break
        params = pywrapcp.DefaultRoutingSearchParameters()
        params.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, name)
        params.time_limit.FromMilliseconds(max(10, int(left * 1000)))
        found = routing.SolveWithParameters(params)
        if found is not None and (best is None or found.ObjectiveValue() < best.ObjectiveValue()):
            best = routing.solver().Assignment(found)  # copy: the next solve reuses buffers
    if best is None:
        raise NoRouteError("OR-Tools found no first solution for the tour")
    return best


def improve(routing: Any, seed: Any, time_limit_s: float) -> Any:
    """Guided local search from ``seed`` for ``time_limit_s``; the seed if nothing better."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    params = pywrapcp.DefaultRoutingSearchParameters()
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH)
    params.time_limit.FromMilliseconds(max(10, int(time_limit_s * 1000)))
    found = routing.SolveFromAssignmentWithParameters(seed, params)
    if found is None or found.ObjectiveValue() > seed.ObjectiveValue():
        return seed
    return found
