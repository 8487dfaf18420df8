"""Random galaxies for tests and benches: systems on a square map, gates linked to their
nearest gates (symmetric, as the simulator links them), some gates unbuilt.

A grid of cells keeps the nearest-gate search fast for thousands of systems.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict

from runner.domain.galaxy import Galaxy, GalaxySystem


def random_galaxy(rng: random.Random, systems: int, *, span: int = 20000,
                  gate_share: float = 0.6, unbuilt: float = 0.1, links: int = 4,
                  fuel_share: float = 0.7) -> Galaxy:
    """``systems`` systems; ``gate_share`` of them with a gate, ``unbuilt`` of those unbuilt."""
    raw = []
    for i in range(systems):
        x, y = rng.randint(-span, span), rng.randint(-span, span)
        symbol = f"X1-G{i}"
        gate = f"{symbol}-I1" if rng.random() < gate_share else None
        fuel = f"{symbol}-A1" if rng.random() < fuel_share else None
        raw.append((symbol, x, y, gate, gate is not None and rng.random() >= unbuilt, fuel))
    gated = [(s, x, y, g) for s, x, y, g, _, _ in raw if g is not None]
    connections = _link_nearest(gated, links, span)
    return Galaxy.of([GalaxySystem(s, x, y, g, built, tuple(sorted(connections.get(g, ()))),
                                   fuel) for s, x, y, g, built, fuel in raw])


def _link_nearest(gated: list[tuple[str, int, int, str]], links: int, span: int
                  ) -> dict[str, set[str]]:
    cell = max(1, int(2 * span / max(1, math.sqrt(len(gated)))))
    grid: dict[tuple[int, int], list[tuple[str, int, int, str]]] = defaultdict(list)
    for item in gated:
        grid[(item[1] // cell, item[2] // cell)].append(item)
    out: dict[str, set[str]] = defaultdict(set)
    for _, x, y, gate in gated:
        near: list[tuple[float, str]] = []
        radius = 1
        while True:
            cx, cy = x // cell, y // cell
            near = [(math.hypot(x - ox, y - oy), og)
                    for dx in range(-radius, radius + 1) for dy in range(-radius, radius + 1)
                    for _, ox, oy, og in grid.get((cx + dx, cy + dy), ()) if og != gate]
            if len(near) >= links or radius * cell > 4 * span:
                break
            radius += 1
        for _, other in sorted(near)[:links]:
            out[gate].add(other)
            out[other].add(gate)
    return out
