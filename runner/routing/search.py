"""Exact fastest-route search over (waypoint, fuel) labels.

Label-setting Dijkstra (A* with one goal) on the lexicographic cost
(seconds, hops, refuel stops, market units bought). Moves from a label (u, f):

- fly to any v in any kept mode whose fuel need is at most f;
- at a fuel seller with f below capacity, refuel: buy k market units (every k up to a full
  tank) for ``refuel_stop_s`` seconds and one refuel stop.

Pruning: labels at one waypoint leave the queue in cost order, so a label is useless when an
earlier label at the same waypoint had at least as much fuel (more fuel never hurts: every
move open to less fuel is open to more, at the same cost). So one number per waypoint, the
most fuel popped there, decides; the search stays exact and keeps few labels.

Two more cuts, both exact: a label is not pushed when a label pending at the same waypoint has
at least as much fuel and no worse cost (it would pop first and dominate), and once every goal
has a landing pushed, no label whose cost bound exceeds the latest such landing is pushed.

A* bound (``HopTable.lower_bounds``): the shortest time to the goal when fuel is ignored except
that no hop may need more than a full tank. It sees the gaps only DRIFT can cross, which a
straight-line bound misses, and it is consistent, so label setting stays exact.

The loop is one function on purpose: it is the hot path, and locals are fastest in Python.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

from runner.domain.travel import FUEL_PER_MARKET_UNIT
from runner.routing.graph import Edge, HopTable, SystemGraph


@dataclass
class Labels:
    """The labels a search kept (popped and useful); ``move`` >= 0 is a flight mode index,
    < 0 a refuel of ``-move`` market units at the same waypoint. ``best_fuel[w]`` is the most
    fuel popped at waypoint ``w`` (-1: never reached)."""

    node: list[int]
    fuel: list[int]
    seconds: list[int]
    parent: list[int]
    move: list[int]
    best_fuel: list[int]
    found: dict[int, int]

    def chain(self, lid: int) -> list[int]:
        """Label ids from the start label to ``lid``."""
        out = []
        while lid >= 0:
            out.append(lid)
            lid = self.parent[lid]
        out.reverse()
        return out


def search(graph: SystemGraph, table: HopTable, start: int, fuel: int, capacity: int,
           goals: set[int], refuel_stop_s: int, h: list[float] | None = None, *,
           reserve: dict[int, int] | None = None, full_refuels: bool = False) -> Labels:
    """Labels from ``(start, fuel)`` until every goal is settled (or nothing is left).

    ``found[g]`` is the label of the optimal route to goal ``g``, landing with at least
    ``reserve[g]`` fuel (a refuel at the goal does not count). Pass no start among the goals.
    With ``h`` (A*), pass one goal. ``full_refuels`` only fills the tank:
    the optimal time is unchanged (a full tank dominates), only the tie-break on market units
    bought is lost, which is what leg-cost matrices need, about 4x faster.
    """
    need_at = reserve or {}
    # A landing with the reserve is a goal state of its own: fuel dominance at the goal
    # waypoint (which may have been refuelled without landing) must not prune it.
    landing = {g for g, k in need_at.items() if k > 0}
    n = len(graph.symbols)
    sells = graph.sells_fuel
    edges, pairs = table.edges, table.pairs
    # Waypoints not yet popped with a full tank: nothing can improve the others, so once
    # few are left an expansion scans just those pairs instead of every edge.
    open_ = set(range(n))
    # Per waypoint, a few flight labels pushed but maybe not popped yet: a new label with no
    # more fuel and no better cost than one of them is useless (that one pops first).
    pushed_at: list[list[tuple[int, int, int, int, int]]] = [[] for _ in range(n)]
    hh = h if h is not None else [0.0] * n
    best = [-1] * n
    lab = Labels([], [], [], [], [], best, {})
    node, fuels, secs, parent, move = lab.node, lab.fuel, lab.seconds, lab.parent, lab.move
    remaining = set(goals)
    # Once every goal has a landing pushed, the latest of their best pushed times bounds
    # every answer: a label whose time plus lower bound exceeds it is useless (ties kept).
    ub = float("inf")
    pushed: dict[int, int] = {}  # goal -> best landing time pushed
    # Heap entries are labels not yet stored: (key, hops, refuel stops, units, -fuel,
    # waypoint, seconds, parent label, move). Only popped, useful labels are stored.
    heap: list[tuple[float, int, int, int, int, int, int, int, int]] = [
        (hh[start], 0, 0, 0, -fuel, start, 0, -1, 0)]
    push, pop = heapq.heappush, heapq.heappop
    while heap:
        _, hops, refuels, units, negf, u, t, plid, mv = pop(heap)
        f = -negf
        lands = u in remaining and mv >= 0 and plid >= 0 and f >= need_at.get(u, 0)
        if f <= best[u] and not lands:
            continue
        lid = len(node)
        node.append(u)
        fuels.append(f)
        secs.append(t)
        parent.append(plid)
        move.append(mv)
        if lands:
            lab.found[u] = lid
            remaining.discard(u)
            if not remaining:
                break
            if f <= best[u]:
                continue
        best[u] = f
        if f == capacity and u not in landing:
            open_.discard(u)
        if sells[u] and f < capacity:
            tr = t + refuel_stop_s
            key = tr + hh[u]
            kmax = 0 if key > ub else -(-(capacity - f) // FUEL_PER_MARKET_UNIT)
            for k in range(kmax if full_refuels else 1, kmax + 1):
                nf = min(capacity, f + k * FUEL_PER_MARKET_UNIT)
                push(heap, (key, hops, refuels + 1, units + k, -nf, u, tr, lid, -k))
        nh = hops + 1
        out: Sequence[Edge] = edges[u]
        if 3 * len(open_) < len(out):
            row = pairs[u]
            out = [(need, v, mi, dt) for v in open_ for need, mi, dt in row[v] if need <= f]
        for need, v, mi, dt in out:
            if need > f:
                break
            nf = f - need
            if nf <= best[v] and (v not in landing or nf < need_at[v]):
                continue
            nt = t + dt
            key = nt + hh[v]
            if key > ub:
                continue
            if not landing or v not in landing:
                here = pushed_at[v]
                dominated = False
                for pf, pt, ph, pr, pu in here:
                    if pf >= nf and pt <= nt and (
                            pt < nt or (ph, pr, pu) <= (nh, refuels, units)):
                        dominated = True
                        break
                if dominated:
                    continue
                if len(here) >= 4:
                    del here[0]
                here.append((nf, nt, nh, refuels, units))
            if v in remaining and nf >= need_at.get(v, 0) and nt < pushed.get(v, ub):
                old = pushed.get(v)
                pushed[v] = nt
                if len(pushed) == len(goals) and (old is None or old >= ub):
                    ub = max(pushed.values())
            push(heap, (key, nh, refuels, units, -nf, v, nt, lid, mi))
    return lab
