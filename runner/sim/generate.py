"""Deterministic universe generation from a seed.

Each system has a dense core (planets with moons and stations, a gas giant, a jump gate, an
asteroid belt) and two long arms of fuel stations ending in remote outposts. The two outposts
are more than 2300 units apart, so no ship (the largest tank holds 2300) reaches one from the
other without a refuel stop or DRIFT. Most markets exchange FUEL; each system has at least one
market that does not.
"""

from __future__ import annotations

import math
import random

from runner.sim.catalog import DEPOSIT_YIELDS, GOODS
from runner.sim.galaxy import extend_galaxy
from runner.sim.universe import (
    SUPPLY_LEVELS,
    Market,
    MarketGood,
    Shipyard,
    System,
    Universe,
    Waypoint,
)

FACTIONS = ["COSMIC", "VOID", "GALACTIC", "QUANTUM", "DOMINION"]
STAR_TYPES = ["RED_STAR", "ORANGE_STAR", "BLUE_STAR", "YOUNG_STAR", "WHITE_DWARF"]
PLANET_TRAITS = ["ROCKY", "FROZEN", "TEMPERATE", "BARREN", "VOLCANIC", "OCEAN", "JUNGLE",
                 "SALT_FLATS", "CANYONS", "BREATHABLE_ATMOSPHERE", "THIN_ATMOSPHERE",
                 "MAGMA_SEAS", "DRY_SEABEDS", "SCARCE_LIFE", "DIVERSE_LIFE"]
SETTLEMENT_TRAITS = ["SCATTERED_SETTLEMENTS", "SPRAWLING_CITIES", "OUTPOST", "INDUSTRIAL",
                     "HIGH_TECH", "BUREAUCRATIC", "TRADING_HUB", "MILITARY_BASE"]
MANUFACTURED = ["FOOD", "CLOTHING", "MEDICINE", "EQUIPMENT", "MACHINERY", "ELECTRONICS",
                "JEWELRY", "PLASTICS", "FABRICS", "FERTILIZERS", "IRON", "COPPER", "ALUMINUM",
                "SHIP_PLATING", "SHIP_PARTS", "EXPLOSIVES", "MICROPROCESSORS", "DRUGS"]
RAW = ["IRON_ORE", "COPPER_ORE", "ALUMINUM_ORE", "QUARTZ_SAND", "SILICON_CRYSTALS",
       "ICE_WATER", "AMMONIA_ICE", "PRECIOUS_STONES", "SILVER_ORE", "GOLD_ORE",
       "PLATINUM_ORE", "HYDROCARBON", "LIQUID_HYDROGEN"]
SURFACES = ["DEEP_CRATERS", "SHALLOW_CRATERS", "MICRO_GRAVITY_ANOMALIES", "HOLLOWED_INTERIOR",
            "RADIOACTIVE"]
ARM_RADII = (150, 450, 750, 1050)
OUTPOST_RADIUS = 1300


DETAILED_SYSTEMS = 3


def generate_universe(seed: int, systems: int = 3,
                      gate_bill: tuple[tuple[str, int, int], ...] = (),
                      under_construction: float = 0.1) -> Universe:
    """A galaxy of ``systems`` systems, fully determined by ``seed``.

    The first three are detailed (40 to 120 waypoints each); the rest are small systems of
    ``galaxy.extend_galaxy``. The starting system's gate is under construction with
    ``gate_bill`` (good, required, fulfilled).
    """
    rng = random.Random(seed)
    uni = Universe()
    sector = "X1"
    for index in range(min(systems, DETAILED_SYSTEMS)):
        symbol = f"{sector}-{_letters(rng, 2)}{rng.randint(1, 99)}"
        while symbol in uni.systems:
            symbol = f"{sector}-{_letters(rng, 2)}{rng.randint(1, 99)}"
        faction = FACTIONS[index % len(FACTIONS)]
        uni.systems[symbol] = System(symbol, sector, rng.choice(STAR_TYPES),
                                     rng.randint(-20000, 20000), rng.randint(-20000, 20000),
                                     factions=[faction])
        hq = _populate(uni, symbol, faction, rng)
        uni.start.setdefault(faction, hq)
        if index == 0:
            uni.default_start = hq
    for faction in FACTIONS:
        uni.start.setdefault(faction, uni.default_start)
    extend_galaxy(uni, seed, systems, gate_bill, under_construction)
    return uni


def _letters(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(n))


class _Namer:
    """Waypoint symbols like X1-AB12-C34, unique within the system."""

    def __init__(self, system: str, rng: random.Random) -> None:
        self.system, self.rng, self.used = system, rng, set[str]()

    def __call__(self) -> str:
        while True:
            name = f"{self.system}-{_letters(self.rng, 1)}{self.rng.randint(1, 99)}"
            if name not in self.used:
                self.used.add(name)
                return name


def _populate(uni: Universe, system: str, faction: str, rng: random.Random) -> str:
    """Fill one system; returns the headquarters waypoint symbol."""
    name = _Namer(system, rng)
    planets = [_planet(uni, system, faction, name, rng, radius=rng.randint(15, 60))]
    for _ in range(rng.randint(5, 8)):
        planets.append(_planet(uni, system, faction, name, rng, radius=rng.randint(40, 240)))
    _gas_giant(uni, system, name, rng)
    x, y = _polar(rng, rng.randint(60, 200))
    gate = uni.add(Waypoint(name(), system, "JUMP_GATE", x, y, traits=["MARKETPLACE"],
                            faction=faction))
    _market(uni, gate.symbol, rng, fuel=True, exports=[], imports=[])
    _belt(uni, system, name, rng)
    _arms(uni, system, name, rng)
    for _ in range(rng.randint(2, 5)):
        kind = rng.choice(["NEBULA", "DEBRIS_FIELD", "GRAVITY_WELL"])
        x, y = _polar(rng, rng.randint(300, 700))
        uni.add(Waypoint(name(), system, kind, x, y))
    hq = planets[0]
    hq.traits = [t for t in hq.traits if t not in ("MARKETPLACE", "SHIPYARD")]
    hq.traits += ["MARKETPLACE", "SHIPYARD"]
    _market(uni, hq.symbol, rng, fuel=True, exports=rng.sample(MANUFACTURED, 2),
            imports=rng.sample(RAW[:6], 3))
    uni.shipyards[hq.symbol] = Shipyard(hq.symbol, ["SHIP_PROBE", "SHIP_MINING_DRONE",
                                                    "SHIP_LIGHT_HAULER", "SHIP_LIGHT_SHUTTLE"])
    _gate_materials(uni.markets[hq.symbol])
    return hq.symbol


def _gate_materials(market: Market) -> None:
    """Headquarters also exports the gate's construction materials (as industrial markets of
    the real starting systems do), so a playbook can supply the gate from a market. Fixed
    prices and volumes: no draw from the RNG, so the rest of the universe is unchanged."""
    for good in ("FAB_MATS", "ADVANCED_CIRCUITRY"):
        base = GOODS[good][1] * 0.7
        market.goods.setdefault(good, MarketGood(good, "EXPORT", round(base * 1.04),
                                                 round(base * 0.96), 60, "MODERATE", "WEAK"))


def _polar(rng: random.Random, radius: float, angle: float | None = None) -> tuple[int, int]:
    a = rng.uniform(0, 2 * math.pi) if angle is None else angle
    return round(radius * math.cos(a)), round(radius * math.sin(a))


def _planet(uni: Universe, system: str, faction: str, name: _Namer, rng: random.Random,
            radius: int) -> Waypoint:
    x, y = _polar(rng, radius)
    traits = rng.sample(PLANET_TRAITS, 2) + rng.sample(SETTLEMENT_TRAITS, 1)
    planet = uni.add(Waypoint(name(), system, "PLANET", x, y, traits=traits, faction=faction))
    if rng.random() < 0.7:
        planet.traits.append("MARKETPLACE")
        _market(uni, planet.symbol, rng, fuel=rng.random() < 0.9,
                exports=rng.sample(MANUFACTURED, rng.randint(1, 3)),
                imports=rng.sample(RAW + MANUFACTURED, rng.randint(2, 4)))
    for _ in range(rng.randint(0, 3)):
        kind = "ORBITAL_STATION" if rng.random() < 0.3 else "MOON"
        moon = uni.add(Waypoint(name(), system, kind, x, y, orbits=planet.symbol,
                                traits=rng.sample(PLANET_TRAITS, 1), faction=faction))
        planet.orbitals.append(moon.symbol)
        if kind == "ORBITAL_STATION" or rng.random() < 0.3:
            moon.traits.append("MARKETPLACE")
            _market(uni, moon.symbol, rng, fuel=True,
                    exports=rng.sample(MANUFACTURED, 1), imports=rng.sample(RAW, 2))
    return planet


def _gas_giant(uni: Universe, system: str, name: _Namer, rng: random.Random) -> None:
    x, y = _polar(rng, rng.randint(250, 400))
    giant = uni.add(Waypoint(name(), system, "GAS_GIANT", x, y,
                             traits=["JOVIAN", "STRONG_MAGNETOSPHERE"]))
    station = uni.add(Waypoint(name(), system, "ORBITAL_STATION", x, y, orbits=giant.symbol,
                               traits=["MARKETPLACE", "INDUSTRIAL"]))
    giant.orbitals.append(station.symbol)
    _market(uni, station.symbol, rng, fuel=True, exports=["LIQUID_HYDROGEN", "HYDROCARBON"],
            imports=rng.sample(MANUFACTURED, 2))


def _belt(uni: Universe, system: str, name: _Namer, rng: random.Random) -> None:
    """An asteroid belt; one asteroid base market there trades no FUEL."""
    for i in range(rng.randint(15, 35)):
        x, y = _polar(rng, rng.randint(180, 320))
        kind = "ENGINEERED_ASTEROID" if i == 0 else "ASTEROID"
        deposit = rng.choice(list(DEPOSIT_YIELDS)[:3]) if i else "COMMON_METAL_DEPOSITS"
        traits = [deposit, *rng.sample(SURFACES, 1)]
        uni.add(Waypoint(name(), system, kind, x, y, traits=traits))
    x, y = _polar(rng, rng.randint(180, 320))
    field = uni.add(Waypoint(name(), system, "ASTEROID_FIELD", x, y,
                             traits=["MINERAL_DEPOSITS", "DEBRIS_CLUSTER"]))
    del field
    x, y = _polar(rng, rng.randint(180, 320))
    base = uni.add(Waypoint(name(), system, "ASTEROID_BASE", x, y,
                            traits=["HOLLOWED_INTERIOR", "OUTPOST", "MARKETPLACE"]))
    _market(uni, base.symbol, rng, fuel=False, exports=["IRON", "COPPER"],
            imports=["IRON_ORE", "COPPER_ORE", "ALUMINUM_ORE", "QUARTZ_SAND"])


def _arms(uni: Universe, system: str, name: _Namer, rng: random.Random) -> None:
    """Two opposite chains of fuel stations, each ending in a remote outpost."""
    angle = rng.uniform(0, 2 * math.pi)
    for direction in (angle, angle + math.pi):
        for radius in ARM_RADII:
            x, y = _polar(rng, radius, direction)
            station = uni.add(Waypoint(name(), system, "FUEL_STATION", x, y,
                                       traits=["MARKETPLACE"]))
            _market(uni, station.symbol, rng, fuel=True, exports=[], imports=[])
        x, y = _polar(rng, OUTPOST_RADIUS, direction)
        uni.add(Waypoint(name(), system, "ASTEROID", x, y,
                         traits=["RARE_METAL_DEPOSITS", "DEEP_CRATERS"]))


def _market(uni: Universe, symbol: str, rng: random.Random, fuel: bool,
            exports: list[str], imports: list[str]) -> None:
    market = Market(symbol)
    for good in exports:
        market.goods[good] = _good(rng, good, "EXPORT", factor=0.7)
    for good in imports:
        market.goods.setdefault(good, _good(rng, good, "IMPORT", factor=1.6))
    if fuel:
        market.goods["FUEL"] = _good(rng, "FUEL", "EXCHANGE", factor=1.0)
    uni.markets[symbol] = market


def _good(rng: random.Random, symbol: str, kind: str, factor: float) -> MarketGood:
    base = GOODS[symbol][1] * factor * rng.uniform(0.85, 1.15)
    purchase = max(2, round(base * 1.04))
    sell = max(1, round(base * 0.96))
    if kind == "EXCHANGE":
        volume = 180
    else:
        volume = rng.choice([10, 20, 60, 100]) if base > 500 else rng.choice([60, 100, 180])
    supply = rng.choice(SUPPLY_LEVELS[2:] if kind == "EXPORT" else SUPPLY_LEVELS[:3])
    activity = None if kind == "EXCHANGE" else rng.choice(["WEAK", "GROWING", "STRONG"])
    return MarketGood(symbol, kind, purchase, sell, volume, supply, activity)
