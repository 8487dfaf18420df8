"""Leg-cost matrices for tours and fleet splits, from the exact route search.

A leg's cost is the optimal route time (refuel overhead included) from one stop to another.
The fuel aboard when a leg starts depends on the order, which is not known yet, so the matrix
assumes: the real fuel at the tour start; a full tank at stops that sell fuel (the ship is
docked at the market anyway); at a dry stop (no fuel sold), the fuel left on the fastest route
there from the nearest fuel seller with a full tank (at least 1). Every leg into a dry stop
must land with that much fuel, so the assumption holds whatever the order: the legs flown
afterwards, planned with the fuel really aboard and the same landing rule, are never slower
than the matrix says, except for refuel overhead at a seller stop reached with a part-empty
tank. The matrix is exact when every stop sells fuel (or the ship has no tank) and
``refuel_stop_s`` is 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from runner.routing.config import RoutingConfig
from runner.routing.graph import HopTable, SystemGraph
from runner.routing.search import search

UNREACHABLE = 10**9
"""Matrix cost of a leg with no route (large enough that a solver avoids it)."""


def departure_fuel(graph: SystemGraph, table: HopTable, node: int, capacity: int,
                   cfg: RoutingConfig) -> int:
    """The fuel a leg from ``node`` (not the tour start) is assumed to depart with."""
    if capacity == 0:
        return 0
    if graph.sells_fuel[node]:
        return capacity
    key = (node, cfg.refuel_stop_s)
    cached = table.memo.get(key)
    if cached is None:
        cached = _dry_stop_fuel(graph, table, node, capacity, cfg)
        table.memo[key] = cached
    return cached


def _dry_stop_fuel(graph: SystemGraph, table: HopTable, node: int, capacity: int,
                   cfg: RoutingConfig) -> int:
    """Fuel left landing at dry ``node`` fastest from the nearest seller, full (at least 1)."""
    sellers = [i for i, sells in enumerate(graph.sells_fuel) if sells]
    if not sellers:
        return 1
    nearest = min(sellers, key=lambda i: graph.dist[i][node])
    labels = search(graph, table, nearest, capacity, capacity, {node}, cfg.refuel_stop_s,
                    reserve={node: 1}, full_refuels=True)
    lid = labels.found.get(node)
    return 1 if lid is None else max(1, labels.fuel[lid])


def leg_costs(graph: SystemGraph, table: HopTable, origin: int, fuel: int, capacity: int,
              targets: Sequence[int], cfg: RoutingConfig) -> list[int]:
    """Optimal seconds from ``(origin, fuel)`` to each target (one one-to-many search)."""
    wanted = {t for t in targets if t != origin}
    labels = search(graph, table, origin, fuel, capacity, wanted, cfg.refuel_stop_s,
                    reserve=reserve(graph, table, wanted, capacity, cfg), full_refuels=True)
    out = []
    for t in targets:
        if t == origin:
            out.append(0)
        else:
            lid = labels.found.get(t)
            out.append(UNREACHABLE if lid is None else labels.seconds[lid])
    return out


def reserve(graph: SystemGraph, table: HopTable, goals: Iterable[int], capacity: int,
            cfg: RoutingConfig) -> dict[int, int]:
    """Fuel to land with at dry goals: what a leg from there is assumed to depart with."""
    return {g: departure_fuel(graph, table, g, capacity, cfg)
            for g in goals if capacity > 0 and not graph.sells_fuel[g]}


def leg_reserve(graph: SystemGraph, table: HopTable, waypoint: str, capacity: int,
                cfg: RoutingConfig) -> int:
    """``reserve`` for one leg's goal, by symbol (0 at fuel sellers)."""
    node = graph.index[waypoint]
    return reserve(graph, table, [node], capacity, cfg).get(node, 0)


def stops_exact(graph: SystemGraph, nodes: Sequence[int], capacity: int,
                cfg: RoutingConfig) -> bool:
    """True when the matrix over ``nodes`` is exact (see the module docstring)."""
    if capacity == 0 or not nodes:
        return True
    return cfg.refuel_stop_s == 0 and all(graph.sells_fuel[n] for n in nodes)


def stop_rows(graph: SystemGraph, table: HopTable, stops: Sequence[int],
              extra: Sequence[int], capacity: int, cfg: RoutingConfig) -> list[list[int]]:
    """Per stop, the leg costs to every stop then to every ``extra`` column.

    A leg between two fuel sellers, both departed with a full tank (or any leg of a ship
    without a tank), costs the same both ways: the reversed route refuels at the same
    sellers, one segment earlier, each segment burning the same fuel. So such pairs are
    searched once and mirrored, which halves the work on markets.
    """
    def full(node: int) -> bool:
        return capacity == 0 or graph.sells_fuel[node]

    rows: list[list[int]] = []
    for i, node in enumerate(stops):
        mirrored = {j for j in range(i) if full(node) and full(stops[j])}
        wanted = [t for j, t in enumerate(stops) if j not in mirrored] + list(extra)
        fuel = departure_fuel(graph, table, node, capacity, cfg)
        found = iter(leg_costs(graph, table, node, fuel, capacity, wanted, cfg))
        row = [rows[j][i] if j in mirrored else next(found) for j in range(len(stops))]
        rows.append(row + list(found))
    return rows
