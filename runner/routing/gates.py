"""The jump-gate graph and the exact fastest chain of jumps between two gates.

Nodes are the built gates; an edge u -> v exists when u lists v among its connections and
both are built (a jump needs both ends finished). Its cost is the reactor cooldown the jump
leaves, ``round(15 + 0.3 d)``.

Time model: a jump is instant; the next jump must wait for the reactor, navigating does not.
So a chain of k jumps costs the cooldowns of the first k - 1 (the last one runs out while
the ship flies on).
The search runs on "ready" times (when the ship may jump from a gate): ready(v) = ready(u)
+ cooldown(u, v); the arrival at the goal gate is ready(u) of the gate it jumps from. A
virtual goal node reached from every gate linked to the goal at cost 0 makes that a plain
label-setting search; ties go to fewer jumps.

A* bound: every jump costs at least 0.3 x its length and no link is longer than ``max_link``,
so from u at least 0.3 x (D(u, goal) - max_link) seconds of cooldown must pass (0 for gates
linked to the goal). It is consistent, so the search stays exact.
"""

from __future__ import annotations

import heapq
import itertools
import math
import weakref
from dataclasses import dataclass

from runner.domain.galaxy import JUMP_COOLDOWN_PER_DISTANCE, Galaxy, jump_cooldown_s
from runner.errors import StRunError


class NoJumpRoute(StRunError):
    """No chain of built gates links the two gates."""


@dataclass(frozen=True)
class JumpChain:
    """Gates from the start gate to the goal gate, with the cooldown each jump leaves.

    ``arrival_s`` is the time from the first possible jump to the landing at the goal gate
    (the cooldowns waited, not the last one); ``cooldowns_s[i]`` follows jump i.
    """

    gates: tuple[str, ...]
    distances: tuple[float, ...]
    cooldowns_s: tuple[int, ...]
    arrival_s: int

    @property
    def jumps(self) -> int:
        """Number of jumps."""
        return len(self.gates) - 1


@dataclass
class GateGraph:
    """Built gates with their outgoing links: ``adj[u]`` lists (cooldown, v, distance)."""

    gates: tuple[str, ...]
    index: dict[str, int]
    xy: tuple[tuple[int, int], ...]
    adj: tuple[tuple[tuple[int, int, float], ...], ...]
    max_link: float

    @classmethod
    def build(cls, galaxy: Galaxy) -> GateGraph:
        """Index the built gates of ``galaxy`` and their links to built gates."""
        systems = [s for s in galaxy if s.gate is not None and s.gate_built]
        gates = tuple(s.gate for s in systems if s.gate is not None)
        index = {g: i for i, g in enumerate(gates)}
        xy = tuple((s.x, s.y) for s in systems)
        adj: list[tuple[tuple[int, int, float], ...]] = []
        longest = 0.0
        for u, system in enumerate(systems):
            out = []
            ux, uy = xy[u]
            for target in system.connections:
                v = index.get(target)
                if v is None or v == u:
                    continue  # unbuilt, unknown or itself: no jump
                d = math.hypot(ux - xy[v][0], uy - xy[v][1])
                longest = max(longest, d)
                out.append((jump_cooldown_s(d), v, d))
            adj.append(tuple(sorted(set(out))))
        return cls(gates, index, xy, tuple(adj), longest)

    def node(self, gate: str) -> int:
        """The index of a built gate; NoJumpRoute when it is unknown or unbuilt."""
        try:
            return self.index[gate]
        except KeyError:
            raise NoJumpRoute(f"jump gate {gate} is not a built gate of the known "
                              "galaxy") from None


_CACHE: weakref.WeakKeyDictionary[Galaxy, GateGraph] = weakref.WeakKeyDictionary()


def gate_graph(galaxy: Galaxy) -> GateGraph:
    """The cached gate graph of ``galaxy`` (built on first use)."""
    graph = _CACHE.get(galaxy)
    if graph is None:
        graph = GateGraph.build(galaxy)
        _CACHE[galaxy] = graph
    return graph


def jump_chain(graph: GateGraph, start: str, goal: str) -> JumpChain:
    """The fastest chain of jumps from gate ``start`` to gate ``goal``, timed from the first
    jump (a cooldown left before it only adds to every chain alike).

    Exact (see the module docstring); raises NoJumpRoute naming the gates when none exists.
    """
    if start == goal:
        return JumpChain((start,), (), (), 0)
    s, g = graph.node(start), graph.node(goal)
    found = _search(graph, s, g)
    if found is None:
        raise NoJumpRoute(f"no chain of built jump gates links {start} to {goal}")
    return _chain(graph, found)


def _search(graph: GateGraph, s: int, g: int) -> list[int] | None:
    """Gate indices start..goal of the fastest chain (None: unreachable)."""
    gx, gy = graph.xy[g]
    slack = graph.max_link
    per = JUMP_COOLDOWN_PER_DISTANCE
    xy, adj = graph.xy, graph.adj

    def bound(v: int) -> float:
        return max(0.0, per * (math.hypot(xy[v][0] - gx, xy[v][1] - gy) - slack))

    n = len(graph.gates)
    goal_node = n  # the virtual goal: "jumped into g"
    best = [math.inf] * (n + 1)
    parent = [-1] * (n + 1)
    done = [False] * (n + 1)
    best[s] = 0
    heap: list[tuple[float, int, int, int]] = [(bound(s), 0, 0, s)]
    while heap:
        _, hops, t, u = heapq.heappop(heap)
        if done[u] or t > best[u]:
            continue
        done[u] = True
        if u == goal_node:
            return _path(parent, g, goal_node)
        for cooldown, v, _ in adj[u]:
            if v == g:  # the last jump: its cooldown runs out while the ship flies on
                if t < best[goal_node] and not done[goal_node]:
                    best[goal_node], parent[goal_node] = t, u
                    heapq.heappush(heap, (t, hops + 1, t, goal_node))
                continue
            nt = t + cooldown
            if nt < best[v] and not done[v]:
                best[v], parent[v] = nt, u
                heapq.heappush(heap, (nt + bound(v), hops + 1, nt, v))
    return None


def _path(parent: list[int], g: int, goal_node: int) -> list[int]:
    out = [g]
    u = parent[goal_node]
    while u >= 0:
        out.append(u)
        u = parent[u]
    out.reverse()
    return out


def _chain(graph: GateGraph, path: list[int]) -> JumpChain:
    distances, cooldowns = [], []
    for u, v in itertools.pairwise(path):
        d = next(dist for _, w, dist in graph.adj[u] if w == v)
        distances.append(d)
        cooldowns.append(jump_cooldown_s(d))
    return JumpChain(tuple(graph.gates[i] for i in path), tuple(distances), tuple(cooldowns),
                     sum(cooldowns[:-1]))
