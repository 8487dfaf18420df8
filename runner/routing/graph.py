"""Per-system routing data, built once and cached: coordinates, distances, fuel sellers, and
per ship class the table of non-dominated hops.

The cache is keyed on the ``System`` object (identity hash) in a weak dictionary, so a system
value that is dropped frees its tables, and a new snapshot of a system gets fresh ones.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass, field

from runner.domain.ship import FlightMode
from runner.domain.travel import ModeRule, TravelModel, rounded_distance
from runner.domain.universe import FUEL, System

Edge = tuple[int, int, int, int]
"""(fuel, destination index, mode index, seconds); a node's edges are sorted by fuel."""


@dataclass(frozen=True)
class HopTable:
    """All useful hops for one ship class: per origin, edges sorted by fuel needed.

    ``pairs[u][v]`` holds the same hops of one pair as (fuel, mode index, seconds), by fuel.
    ``fastest[u][v]`` is the quickest hop u -> v flyable from a full tank (inf if none).
    """

    modes: tuple[FlightMode, ...]
    edges: tuple[tuple[Edge, ...], ...]
    pairs: tuple[tuple[tuple[tuple[int, int, int], ...], ...], ...]
    fastest: tuple[tuple[float, ...], ...]
    _bounds: dict[int, list[float]] = field(default_factory=dict, compare=False)
    memo: dict[tuple[int, int], int] = field(default_factory=dict, compare=False)
    """Per-class results other modules cache here (e.g. fuel assumed at dry stops)."""

    def lower_bounds(self, goal: int) -> list[float]:
        """Per waypoint, a lower bound on the seconds to reach ``goal`` (cached per goal).

        It is the shortest path when fuel is ignored except that no hop may need more than a
        full tank: every real hop takes at least ``fastest``, so the bound is admissible, and
        being a shortest-path distance it is consistent (exact A* with label setting).
        """
        h = self._bounds.get(goal)
        if h is None:
            h = _dense_dijkstra(self.fastest, goal)
            self._bounds[goal] = h
        return h


@dataclass
class SystemGraph:
    """Static routing data of one system."""

    symbols: tuple[str, ...]
    index: dict[str, int]
    xy: tuple[tuple[int, int], ...]
    dist: tuple[tuple[float, ...], ...]
    sells_fuel: tuple[bool, ...]
    fuel_price: tuple[int | None, ...]
    _tables: dict[tuple[int, int, TravelModel, frozenset[FlightMode]], HopTable] = field(
        default_factory=dict)

    @classmethod
    def build(cls, system: System) -> SystemGraph:
        """Index the system's waypoints and compute all distances."""
        wps = list(system)
        xy = tuple((w.x, w.y) for w in wps)
        dist = tuple(tuple(math.hypot(ax - bx, ay - by) for bx, by in xy) for ax, ay in xy)
        prices: list[int | None] = []
        for w in wps:
            good = w.market.trade_goods.get(FUEL) if w.market is not None else None
            prices.append(good.purchase_price if good is not None else None)
        return cls(
            symbols=tuple(w.symbol for w in wps),
            index={w.symbol: i for i, w in enumerate(wps)},
            xy=xy,
            dist=dist,
            sells_fuel=tuple(w.sells_fuel for w in wps),
            fuel_price=tuple(prices),
        )

    def hops(self, speed: int, capacity: int, travel: TravelModel,
             modes: frozenset[FlightMode]) -> HopTable:
        """The hop table for a ship class (built on first use, then cached)."""
        key = (speed, capacity, travel, modes)
        table = self._tables.get(key)
        if table is None:
            table = _build_hops(self, speed, capacity, travel, modes)
            self._tables[key] = table
        return table


def _build_hops(graph: SystemGraph, speed: int, capacity: int, travel: TravelModel,
                modes: frozenset[FlightMode]) -> HopTable:
    """Per pair keep the modes no other mode beats on both time and fuel."""
    rules = [r for r in travel.rules if r.mode in modes]
    order = tuple(r.mode for r in rules)
    n = len(graph.symbols)
    # Time and fuel depend only on the rounded distance: memoise per rd.
    per_rd: dict[int, tuple[tuple[int, int, int], ...]] = {}
    edges: list[tuple[Edge, ...]] = []
    pairs: list[tuple[tuple[tuple[int, int, int], ...], ...]] = []
    fastest: list[tuple[float, ...]] = []
    for u in range(n):
        row = graph.dist[u]
        out: list[Edge] = []
        by_v: list[tuple[tuple[int, int, int], ...]] = []
        for v in range(n):
            if v == u:
                by_v.append(())
                continue
            rd = rounded_distance(row[v])
            options = per_rd.get(rd)
            if options is None:
                options = tuple(sorted(_pareto_modes(rules, rd, speed, capacity, travel)))
                per_rd[rd] = options
            by_v.append(options)
            out.extend((fuel, v, mi, secs) for fuel, mi, secs in options)
        out.sort()
        edges.append(tuple(out))
        pairs.append(tuple(by_v))
        quick = [math.inf] * n
        quick[u] = 0.0
        for _, v, _, secs in out:
            if secs < quick[v]:
                quick[v] = secs
        fastest.append(tuple(quick))
    return HopTable(order, tuple(edges), tuple(pairs), tuple(fastest))


def _dense_dijkstra(weights: tuple[tuple[float, ...], ...], source: int) -> list[float]:
    """Shortest distances from ``source`` on a dense symmetric matrix (O(n²), no heap).

    Written with whole-row list operations, which run in C: about 10x a plain double loop.
    """
    n = len(weights)
    inf = math.inf
    dist = [inf] * n
    dist[source] = 0.0
    open_ = list(dist)  # dist of unsettled nodes, inf once settled
    settled = [False] * n
    for _ in range(n):
        du = min(open_)
        if du == inf:
            break
        u = open_.index(du)
        settled[u] = True
        dist = [d if d <= du + w else du + w for d, w in zip(dist, weights[u], strict=True)]
        open_ = [inf if s else d for s, d in zip(settled, dist, strict=True)]
    return dist


def _pareto_modes(rules: list[ModeRule], rd: int, speed: int, capacity: int,
                  travel: TravelModel) -> list[tuple[int, int, int]]:
    """(fuel, mode index, seconds) of the modes not dominated at rounded distance ``rd``."""
    cands = []
    for mi, r in enumerate(rules):
        fuel = r.fuel(rd) if capacity > 0 else 0
        if capacity > 0 and fuel > capacity:
            continue  # can never be flown, even from a full tank
        cands.append((fuel, travel.seconds_rd(r.mode, rd, speed), mi))
    cands.sort(key=lambda c: (c[1], c[0], c[2]))  # fastest first, then cheapest
    kept: list[tuple[int, int, int]] = []
    best_fuel = math.inf
    for fuel, secs, mi in cands:
        if fuel < best_fuel:  # slower than everything kept, so it must be cheaper to stay
            kept.append((fuel, mi, secs))
            best_fuel = fuel
    return kept


_CACHE: weakref.WeakKeyDictionary[System, SystemGraph] = weakref.WeakKeyDictionary()


def system_graph(system: System) -> SystemGraph:
    """The cached routing data of ``system`` (built on first use)."""
    graph = _CACHE.get(system)
    if graph is None:
        graph = SystemGraph.build(system)
        _CACHE[system] = graph
    return graph
