"""The galaxy around the detailed systems: many small systems, jump gates and their network.

``extend_galaxy`` runs after the detailed systems were generated and draws from its own RNG,
so the detailed systems stay exactly what the seed made them before the galaxy existed.
Gates connect to their nearest gates (a grid keeps this fast for thousands of systems).
"""

from __future__ import annotations

import math
import random
from collections import defaultdict

from runner.sim.catalog import DEPOSIT_YIELDS, GOODS, MODULES, MOUNTS, SHIP_TYPES
from runner.sim.universe import (
    Construction,
    Market,
    MarketGood,
    Shipyard,
    System,
    Universe,
    Waypoint,
)

GATE_LINKS = 4
"""Each gate connects to its nearest gates (links are symmetric, so some have more)."""
GALAXY_SPAN = 20000
CHART_DATE = "2025-01-01T00:00:00.000Z"
# The bill of a gate under construction outside the starting system.
FAR_GATE_BILL = (("FAB_MATS", 4000, 0), ("ADVANCED_CIRCUITRY", 1200, 0))
SPARSE_YARD_TYPES = ["SHIP_PROBE", "SHIP_MINING_DRONE", "SHIP_SIPHON_DRONE", "SHIP_SURVEYOR",
                     "SHIP_LIGHT_SHUTTLE", "SHIP_LIGHT_HAULER", "SHIP_ORE_HOUND",
                     "SHIP_EXPLORER", "SHIP_INTERCEPTOR", "SHIP_HEAVY_FREIGHTER",
                     "SHIP_REFINING_FREIGHTER"]
PARTS_FOR_SALE = ["MOUNT_GAS_SIPHON_I", "MOUNT_MINING_LASER_I", "MOUNT_SURVEYOR_I",
                  "MOUNT_SENSOR_ARRAY_I", "MODULE_CARGO_HOLD_I", "MODULE_WARP_DRIVE_I",
                  "MODULE_ORE_REFINERY_I"]
assert all(p in MODULES or p in MOUNTS for p in PARTS_FOR_SALE)
assert all(t in SHIP_TYPES for t in SPARSE_YARD_TYPES)


def extend_galaxy(uni: Universe, seed: int, systems: int,
                  gate_bill: tuple[tuple[str, int, int], ...], under_construction: float
                  ) -> None:
    """Add small systems up to ``systems``, chart the detailed ones, wire up the gates."""
    rng = random.Random(f"{seed}:galaxy")
    detailed = list(uni.systems)
    for symbol in detailed:
        _chart_all(uni, symbol)
        _stock_gate(uni, symbol, rng)
    home = uni.waypoints[uni.default_start].system
    _stock_parts(uni, uni.default_start)
    uni.shipyards[uni.default_start].ship_types += ["SHIP_SURVEYOR", "SHIP_SIPHON_DRONE"]
    for _ in range(len(detailed), systems):
        _sparse_system(uni, rng, under_construction)
    _connect_gates(uni)
    gate = uni.gate_of(home)
    if gate is not None:
        uni.set_construction(Construction(gate, {g: [r, f] for g, r, f in gate_bill}))


def _chart_all(uni: Universe, system: str) -> None:
    for symbol in uni.systems[system].waypoints:
        wp = uni.waypoints[symbol]
        wp.chart = {"waypointSymbol": symbol, "submittedBy": wp.faction or "COSMIC",
                    "submittedOn": CHART_DATE}


def _antimatter(rng: random.Random) -> MarketGood:
    base = GOODS["ANTIMATTER"][1] * rng.uniform(0.95, 1.05)
    return MarketGood("ANTIMATTER", "EXCHANGE", round(base * 1.01), round(base * 0.97), 10,
                      "MODERATE")


def _fuel(rng: random.Random) -> MarketGood:
    base = GOODS["FUEL"][1] * rng.uniform(0.9, 1.1)
    return MarketGood("FUEL", "EXCHANGE", round(base * 1.04), round(base * 0.96), 180,
                      "MODERATE")


def _stock_gate(uni: Universe, system: str, rng: random.Random) -> None:
    """Gate markets sell ANTIMATTER (jumps buy one unit there)."""
    gate = uni.gate_of(system)
    if gate is not None and gate in uni.markets:
        uni.markets[gate].goods.setdefault("ANTIMATTER", _antimatter(rng))


def _stock_parts(uni: Universe, market: str) -> None:
    """The starting shipyard's market sells the mounts and modules ships can install."""
    for part in PARTS_FOR_SALE:
        price = GOODS[part][1]
        uni.markets[market].goods.setdefault(part, MarketGood(
            part, "EXCHANGE", round(price * 1.04), round(price * 0.96), 10, "MODERATE"))


def _name(rng: random.Random, used: set[str], system: str) -> str:
    while True:
        name = f"{system}-{rng.choice('ABCDEFGHJKLMNPQRSTUVWXYZ')}{rng.randint(1, 99)}"
        if name not in used:
            used.add(name)
            return name


def _system_symbol(uni: Universe, rng: random.Random) -> str:
    while True:
        letters = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(2))
        symbol = f"X1-{letters}{rng.randint(1, 999)}"
        if symbol not in uni.systems:
            return symbol


def _sparse_system(uni: Universe, rng: random.Random, under_construction: float) -> None:
    """A small system: a planet market, usually a gate, maybe a gas giant, rocks, a yard."""
    symbol = _system_symbol(uni, rng)
    uni.systems[symbol] = System(symbol, "X1", rng.choice(["RED_STAR", "ORANGE_STAR",
                                                           "BLUE_STAR", "WHITE_DWARF"]),
                                 rng.randint(-GALAXY_SPAN, GALAXY_SPAN),
                                 rng.randint(-GALAXY_SPAN, GALAXY_SPAN))
    used: set[str] = set()

    def place(kind: str, traits: list[str], charted: bool = True) -> Waypoint:
        a, r = rng.uniform(0, 2 * math.pi), rng.randint(10, 600)
        wp = uni.add(Waypoint(_name(rng, used, symbol), symbol, kind, round(r * math.cos(a)),
                              round(r * math.sin(a)), traits=traits))
        if charted:
            wp.chart = {"waypointSymbol": wp.symbol, "submittedBy": "COSMIC",
                        "submittedOn": CHART_DATE}
        return wp

    planet = place("PLANET", ["ROCKY", "MARKETPLACE"])
    market = uni.markets.setdefault(planet.symbol, _planet_market(planet.symbol, rng))
    market.goods["FUEL"] = _fuel(rng)
    if rng.random() < 0.15:
        planet.traits.append("SHIPYARD")
        uni.shipyards[planet.symbol] = Shipyard(
            planet.symbol, rng.sample(SPARSE_YARD_TYPES, rng.randint(3, 6)))
    if rng.random() < 0.9:
        gate = place("JUMP_GATE", ["MARKETPLACE"])
        gate_market = uni.markets.setdefault(gate.symbol, _planet_market(gate.symbol, rng, 0))
        gate_market.goods["FUEL"] = _fuel(rng)
        gate_market.goods["ANTIMATTER"] = _antimatter(rng)
        if rng.random() < under_construction:
            uni.set_construction(Construction(gate.symbol,
                                              {g: [r, f] for g, r, f in FAR_GATE_BILL}))
    if rng.random() < 0.4:
        place("GAS_GIANT", ["JOVIAN", "STRONG_MAGNETOSPHERE"])
    if rng.random() < 0.6:
        deposit = rng.choice(list(DEPOSIT_YIELDS))
        place("ASTEROID", [deposit, "SHALLOW_CRATERS"], charted=rng.random() < 0.5)
    if rng.random() < 0.5:
        place("PLANET", ["FROZEN", "BARREN"], charted=False)


def _planet_market(symbol: str, rng: random.Random, goods: int = 2) -> Market:
    market = Market(symbol)
    made = ["IRON", "COPPER", "ALUMINUM", "PLASTICS", "FABRICS", "FERTILIZERS", "MACHINERY",
            "EQUIPMENT", "ELECTRONICS"]
    for good in rng.sample(made, goods):
        base = GOODS[good][1] * 0.7
        market.goods[good] = MarketGood(good, "EXPORT", round(base * 1.04), round(base * 0.96),
                                        60, "MODERATE", "GROWING")
    return market


def _connect_gates(uni: Universe) -> None:
    """Symmetric links from every gate to its ``GATE_LINKS`` nearest gates."""
    gates = [(w, uni.systems[uni.waypoints[w].system]) for w in
             (uni.gate_of(s) for s in uni.systems) if w is not None]
    cell = 4000
    grid: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, (_, system) in enumerate(gates):
        grid[(system.x // cell, system.y // cell)].append(i)
    links: dict[str, set[str]] = {w: set() for w, _ in gates}
    for i, (gate, system) in enumerate(gates):
        for j in _nearest(gates, grid, cell, i, system, GATE_LINKS):
            links[gate].add(gates[j][0])
            links[gates[j][0]].add(gate)
    for gate, linked in links.items():
        uni.gates[gate] = sorted(linked)


def _nearest(gates: list[tuple[str, System]], grid: dict[tuple[int, int], list[int]],
             cell: int, i: int, here: System, k: int) -> list[int]:
    """Indices of the ``k`` gates nearest to gate ``i`` (ring by ring over the grid)."""
    cx, cy = here.x // cell, here.y // cell
    found: list[tuple[float, int]] = []
    ring, rings = 0, 2 + 2 * GALAXY_SPAN // cell
    while ring <= rings:
        for gx in range(cx - ring, cx + ring + 1):
            for gy in range(cy - ring, cy + ring + 1):
                if max(abs(gx - cx), abs(gy - cy)) != ring:
                    continue
                for j in grid.get((gx, gy), ()):
                    if j != i:
                        other = gates[j][1]
                        found.append((math.hypot(other.x - here.x, other.y - here.y), j))
        # Everything within ring * cell is certainly found once k are nearer than that.
        close = sorted(found)[:k]
        if len(close) == k and close[-1][0] <= ring * cell:
            return [j for _, j in close]
        ring += 1
    return [j for _, j in sorted(found)[:k]]
