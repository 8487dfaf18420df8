"""The jump-gate route against brute force on small galaxies (hypothesis), and its rules."""

from __future__ import annotations

import itertools
import math
import os
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runner.domain.galaxy import Galaxy, GalaxySystem, jump_cooldown_s
from runner.routing.gates import GateGraph, NoJumpRoute, gate_graph, jump_chain
from tests.routing.galaxies import random_galaxy

EXAMPLES = int(os.environ.get("ST_RUN_ROUTING_EXAMPLES", "250"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def brute_force(galaxy: Galaxy, start: str, goal: str) -> int | None:
    """The least time to land at ``goal``: every simple path of built gates, each jump's
    cooldown waited except the last's. None when no path exists."""
    if start == goal:
        return 0
    built = {s.gate: s for s in galaxy if s.gate is not None and s.gate_built}
    if start not in built or goal not in built:
        return None

    def links(gate: str) -> list[str]:
        return [g for g in built[gate].connections if g in built and g != gate]

    best: int | None = None

    def walk(path: list[str], waited: int) -> None:
        nonlocal best
        here = built[path[-1]]
        for nxt in links(path[-1]):
            if nxt in path:
                continue
            there = built[nxt]
            cooldown = jump_cooldown_s(math.hypot(here.x - there.x, here.y - there.y))
            if nxt == goal:
                best = waited if best is None else min(best, waited)
            else:
                walk([*path, nxt], waited + cooldown)

    walk([start], 0)
    return best


@st.composite
def small_galaxies(draw: st.DrawFn) -> Galaxy:
    """2-8 gated systems on a small map, random (possibly one-way) links, some unbuilt."""
    n = draw(st.integers(2, 8))
    gates = [f"X1-S{i}-I1" for i in range(n)]
    systems = []
    for i, gate in enumerate(gates):
        links = draw(st.lists(st.sampled_from(gates), max_size=4, unique=True))
        systems.append(GalaxySystem(f"X1-S{i}", draw(st.integers(-500, 500)),
                                    draw(st.integers(-500, 500)), gate,
                                    draw(st.integers(0, 5)) > 0, tuple(links)))
    return Galaxy.of(systems)


@SETTINGS
@given(small_galaxies(), st.data())
def test_jump_chain_equals_brute_force(galaxy: Galaxy, data: st.DataObject) -> None:
    gates = [s.gate for s in galaxy if s.gate is not None]
    start, goal = data.draw(st.sampled_from(gates)), data.draw(st.sampled_from(gates))
    expected = brute_force(galaxy, start, goal)
    graph = GateGraph.build(galaxy)
    if expected is None:
        with pytest.raises(NoJumpRoute):
            jump_chain(graph, start, goal)
        return
    chain = jump_chain(graph, start, goal)
    assert chain.arrival_s == expected
    assert chain.gates[0] == start and chain.gates[-1] == goal
    # The chain is flyable: every jump is a link between built gates, costed by the rule.
    for (a, b), cooldown in zip(itertools.pairwise(chain.gates), chain.cooldowns_s,
                                strict=True):
        assert b in galaxy[a.rsplit("-", 1)[0]].connections
        assert galaxy[b.rsplit("-", 1)[0]].gate_built
        assert cooldown == jump_cooldown_s(galaxy.distance(a.rsplit("-", 1)[0],
                                                           b.rsplit("-", 1)[0]))
    assert chain.arrival_s == sum(chain.cooldowns_s[:-1])


def test_the_last_jumps_cooldown_is_free() -> None:
    galaxy = Galaxy.of([
        GalaxySystem("X1-A", 0, 0, "X1-A-I1", True, ("X1-B-I1",)),
        GalaxySystem("X1-B", 1000, 0, "X1-B-I1", True, ("X1-C-I1",)),
        GalaxySystem("X1-C", 2000, 0, "X1-C-I1", True, ()),
    ])
    chain = jump_chain(gate_graph(galaxy), "X1-A-I1", "X1-C-I1")
    assert chain.gates == ("X1-A-I1", "X1-B-I1", "X1-C-I1")
    assert chain.cooldowns_s == (315, 315)  # round(15 + 0.3 x 1000)
    assert chain.arrival_s == 315


def test_unbuilt_gates_are_not_jumped_through() -> None:
    galaxy = Galaxy.of([
        GalaxySystem("X1-A", 0, 0, "X1-A-I1", True, ("X1-B-I1", "X1-D-I1")),
        GalaxySystem("X1-B", 100, 0, "X1-B-I1", False, ("X1-C-I1",)),
        GalaxySystem("X1-D", 0, 3000, "X1-D-I1", True, ("X1-C-I1",)),
        GalaxySystem("X1-C", 200, 0, "X1-C-I1", True, ()),
    ])
    chain = jump_chain(gate_graph(galaxy), "X1-A-I1", "X1-C-I1")
    assert chain.gates == ("X1-A-I1", "X1-D-I1", "X1-C-I1")
    with pytest.raises(NoJumpRoute, match="X1-B-I1 is not a built gate"):
        jump_chain(gate_graph(galaxy), "X1-B-I1", "X1-C-I1")


def test_large_random_galaxy_agrees_with_plain_dijkstra() -> None:
    """A* with the distance bound equals a search without it on a 1,500-system galaxy."""
    galaxy = random_galaxy(random.Random(3), 1500)
    graph = gate_graph(galaxy)
    rng = random.Random(4)
    for _ in range(30):
        a, b = rng.sample(graph.gates, 2)
        try:
            got = jump_chain(graph, a, b).arrival_s
        except NoJumpRoute:
            got = None
        assert got == _plain(graph, graph.index[a], graph.index[b])


def _plain(graph: GateGraph, s: int, g: int) -> int | None:
    """Dijkstra on ready times without a bound; arrival = best ready time next to the goal."""
    import heapq

    ready = {s: 0}
    heap = [(0, s)]
    best: int | None = None
    while heap:
        t, u = heapq.heappop(heap)
        if t > ready[u] or (best is not None and t >= best):
            continue
        for cooldown, v, _ in graph.adj[u]:
            if v == g:
                best = t if best is None else min(best, t)
            elif t + cooldown < ready.get(v, 1 << 60):
                ready[v] = t + cooldown
                heapq.heappush(heap, (t + cooldown, v))
    return best
