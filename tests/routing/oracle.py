"""Independent reference planners for the routing tests, written apart from ``runner.routing``.

They share no code with the planner: their own distance rounding (integer square roots),
their own rule table and rational time arithmetic, and no pruning or bound at all.

- ``dijkstra_oracle``: textbook Dijkstra over every (waypoint, fuel) state; for small systems.
- ``all_pairs_oracle``: scipy Dijkstra over the explicit (waypoint, fuel) state graph,
  for all pairs of the real 82-waypoint system.

Cost of a route, compared lexicographically:
(seconds incl. refuel overhead, hops, refuel stops, market units bought).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

# mode -> (time multiplier, fuel per rounded distance, fixed fuel per hop)
RULES: dict[str, tuple[Fraction, int, int]] = {
    "CRUISE": (Fraction(25), 1, 0),
    "BURN": (Fraction(25, 2), 2, 0),
    "DRIFT": (Fraction(250), 0, 1),
    "STEALTH": (Fraction(30), 1, 0),
}


@dataclass(frozen=True)
class Point:
    """A waypoint as the oracle sees it."""

    x: int
    y: int
    sells_fuel: bool


def charged_distance(a: Point, b: Point) -> int:
    """max(1, d rounded half up), with d = sqrt(d2): floor(2d) via isqrt, then halve up."""
    d2 = (a.x - b.x) ** 2 + (a.y - b.y) ** 2
    return max(1, (math.isqrt(4 * d2) + 1) // 2)


def flight(mode: str, rd: int, speed: int, capacity: int,
           rules: Mapping[str, tuple[Fraction, int, int]] = RULES,
           base: Fraction = Fraction(15)) -> tuple[int, int]:
    """(fuel, seconds) of one hop."""
    mult, per, fixed = rules[mode]
    fuel = 0 if capacity == 0 else per * rd + fixed
    seconds = math.floor(Fraction(rd) * mult / speed + base + Fraction(1, 2))
    return fuel, seconds


def dijkstra_oracle(points: Sequence[Point], speed: int, capacity: int, start: int, goal: int,
                    fuel: int, modes: Sequence[str], refuel_s: int,
                    rules: Mapping[str, tuple[Fraction, int, int]] = RULES,
                    base: Fraction = Fraction(15),
                    reserve: int = 0) -> tuple[int, int, int, int] | None:
    """The optimal cost from (start, fuel) to goal, landing there with at least ``reserve``
    fuel (refuelling at the goal afterwards does not count), or None when unreachable."""
    if start == goal:
        return (0, 0, 0, 0)
    arrived = (-1, -1)  # terminal state: landed at the goal with the reserve
    n = len(points)
    hop = {(u, v, m): flight(m, charged_distance(points[u], points[v]), speed, capacity,
                             rules, base)
           for u in range(n) for v in range(n) if u != v for m in modes}
    dist: dict[tuple[int, int], tuple[int, int, int, int]] = {(start, fuel): (0, 0, 0, 0)}
    heap = [((0, 0, 0, 0), start, fuel)]
    done: set[tuple[int, int]] = set()
    while heap:
        cost, u, f = heapq.heappop(heap)
        if (u, f) in done:
            continue
        done.add((u, f))
        if (u, f) == arrived:
            return cost
        t, hops, stops, units = cost
        moves: list[tuple[tuple[int, int, int, int], int, int]] = []
        for (a, v, _m), (need, secs) in hop.items():
            if a == u and need <= f:
                moves.append(((t + secs, hops + 1, stops, units), v, f - need))
                if v == goal and f - need >= reserve:
                    moves.append(((t + secs, hops + 1, stops, units), *arrived))
        if points[u].sells_fuel and f < capacity:
            k = 1
            while f + 100 * (k - 1) < capacity:
                moves.append(((t + refuel_s, hops, stops + 1, units + k), u,
                              min(capacity, f + 100 * k)))
                k += 1
        for ncost, v, nf in moves:
            if ncost < dist.get((v, nf), (math.inf,)):  # type: ignore[operator]
                dist[(v, nf)] = ncost
                heapq.heappush(heap, (ncost, v, nf))
    return None


# Lexicographic costs packed into one integer: seconds, hops, refuel stops, units (7 bits
# each). Packed sums stay below 2**53, so float64 distances in scipy are exact.
_B = 1 << 7


def pack(t: int, hops: int, stops: int, units: int) -> int:
    """One comparable integer for a lexicographic cost (each count < 128)."""
    return ((t * _B + hops) * _B + stops) * _B + units


def unpack(c: int) -> tuple[int, int, int, int]:
    """Inverse of ``pack``."""
    units, c = c % _B, c // _B
    stops, c = c % _B, c // _B
    hops, t = c % _B, c // _B
    return t, hops, stops, units


def all_pairs_oracle(points: Sequence[Point], speed: int, capacity: int,
                     start_fuel: Sequence[int], modes: Sequence[str],
                     refuel_s: int) -> list[list[tuple[int, int, int, int] | None]]:
    """Optimal cost for every (source s with start_fuel[s], goal): scipy's Dijkstra over the
    explicit graph of every (waypoint, fuel) state and every move, nothing pruned."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    n, levels = len(points), capacity + 1
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    fuel = np.arange(levels)
    for u in range(n):
        for v in range(n):
            if u == v:
                continue
            for m in modes:
                need, secs = flight(m, charged_distance(points[u], points[v]), speed, capacity)
                f = fuel[need:]
                rows.append(u * levels + f)
                cols.append(v * levels + f - need)
                weights.append(np.full(len(f), pack(secs, 1, 0, 0), dtype=np.float64))
        if points[u].sells_fuel and capacity > 0:
            for k in range(1, -(-capacity // 100) + 1):
                f = fuel[(fuel < capacity) & (fuel + 100 * (k - 1) < capacity)]
                rows.append(u * levels + f)
                cols.append(u * levels + np.minimum(capacity, f + 100 * k))
                weights.append(np.full(len(f), pack(refuel_s, 0, 1, k), dtype=np.float64))
    row, col, w = np.concatenate(rows), np.concatenate(cols), np.concatenate(weights)
    # csr_matrix would add parallel edges: keep the cheapest of each (row, col).
    order = np.lexsort((w, col, row))
    row, col, w = row[order], col[order], w[order]
    first = np.ones(len(row), dtype=bool)
    first[1:] = (row[1:] != row[:-1]) | (col[1:] != col[:-1])
    graph = csr_matrix((w[first], (row[first], col[first])), shape=(n * levels, n * levels))
    sources = [s * levels + (start_fuel[s] if capacity else 0) for s in range(n)]
    dist = dijkstra(graph, directed=True, indices=sources)
    best = dist.reshape(n, n, levels).min(axis=2)
    return [[None if not np.isfinite(best[s, g]) else unpack(int(best[s, g]))
             for g in range(n)] for s in range(n)]
