"""Static game data the simulator owns: ship components, ship types and trade goods.

Stats follow the live game's 2025 ship data (frame fuel capacity, engine speed, mounts); the
descriptions are our own words. ``ship_template`` returns spec-shaped component objects.
"""

from __future__ import annotations

import copy
from typing import Any

JSON = dict[str, Any]


def _req(power: int | None, crew: int, slots: int | None = None) -> JSON:
    out: JSON = {"crew": crew}
    if power is not None:
        out["power"] = power
    if slots is not None:
        out["slots"] = slots
    return out


def _frame(sym: str, name: str, slots: int, mounts: int, fuel: int, power: int, crew: int,
           quality: int) -> JSON:
    return {"symbol": sym, "name": name, "description": f"A {name.lower()} frame.",
            "condition": 1, "integrity": 1, "moduleSlots": slots, "mountingPoints": mounts,
            "fuelCapacity": fuel, "requirements": _req(power, crew), "quality": quality}


def _reactor(sym: str, name: str, output: int, crew: int, quality: int) -> JSON:
    return {"symbol": sym, "name": name, "description": f"{name}, the ship's power source.",
            "condition": 1, "integrity": 1, "powerOutput": output,
            "requirements": _req(None, crew), "quality": quality}


def _engine(sym: str, name: str, speed: int, power: int, crew: int, quality: int) -> JSON:
    return {"symbol": sym, "name": name, "description": f"{name} propulsion.",
            "condition": 1, "integrity": 1, "speed": speed,
            "requirements": _req(power, crew), "quality": quality}


def _module(sym: str, name: str, power: int, crew: int, slots: int,
            capacity: int | None = None, range_: int | None = None) -> JSON:
    out: JSON = {"symbol": sym, "name": name, "description": f"{name} module.",
                 "requirements": _req(power, crew, slots)}
    if capacity is not None:
        out["capacity"] = capacity
    if range_ is not None:
        out["range"] = range_
    return out


def _mount(sym: str, name: str, power: int, crew: int, strength: int | None = None,
           deposits: list[str] | None = None) -> JSON:
    out: JSON = {"symbol": sym, "name": name, "description": f"{name} mount.",
                 "requirements": _req(power, crew)}
    if strength is not None:
        out["strength"] = strength
    if deposits:
        out["deposits"] = deposits
    return out


_BASIC_DEPOSITS = ["QUARTZ_SAND", "SILICON_CRYSTALS", "PRECIOUS_STONES", "ICE_WATER",
                   "AMMONIA_ICE", "IRON_ORE", "COPPER_ORE", "SILVER_ORE", "ALUMINUM_ORE",
                   "GOLD_ORE", "PLATINUM_ORE"]

FRAMES = {f["symbol"]: f for f in [
    _frame("FRAME_PROBE", "Probe", 0, 0, 0, 1, 0, 1),
    _frame("FRAME_DRONE", "Drone", 3, 2, 80, 1, 0, 1),
    _frame("FRAME_SHUTTLE", "Shuttle", 3, 1, 300, 1, 10, 3),
    _frame("FRAME_MINER", "Miner", 5, 3, 300, 5, 15, 4),
    _frame("FRAME_LIGHT_FREIGHTER", "Light Freighter", 6, 1, 600, 5, 40, 5),
    _frame("FRAME_FRIGATE", "Frigate", 8, 5, 400, 8, 25, 4),
]}
REACTORS = {r["symbol"]: r for r in [
    _reactor("REACTOR_SOLAR_I", "Solar Reactor I", 3, 0, 1),
    _reactor("REACTOR_CHEMICAL_I", "Chemical Reactor I", 15, 3, 3),
    _reactor("REACTOR_FISSION_I", "Fission Reactor I", 31, 8, 5),
]}
ENGINES = {e["symbol"]: e for e in [
    _engine("ENGINE_IMPULSE_DRIVE_I", "Impulse Drive I", 9, 1, 0, 1),
    _engine("ENGINE_ION_DRIVE_I", "Ion Drive I", 15, 3, 3, 3),
    _engine("ENGINE_ION_DRIVE_II", "Ion Drive II", 36, 6, 8, 4),
]}
MODULES = {m["symbol"]: m for m in [
    _module("MODULE_CARGO_HOLD_I", "Cargo Hold", 1, 0, 1, capacity=15),
    _module("MODULE_CARGO_HOLD_II", "Expanded Cargo Hold", 2, 2, 2, capacity=40),
    _module("MODULE_CREW_QUARTERS_I", "Crew Quarters", 1, 2, 1, capacity=40),
    _module("MODULE_MINERAL_PROCESSOR_I", "Mineral Processor", 1, 0, 2),
    _module("MODULE_GAS_PROCESSOR_I", "Gas Processor", 1, 0, 2),
]}
MOUNTS = {m["symbol"]: m for m in [
    _mount("MOUNT_SENSOR_ARRAY_II", "Sensor Array II", 2, 2, strength=4),
    _mount("MOUNT_GAS_SIPHON_II", "Gas Siphon II", 2, 2, strength=20),
    _mount("MOUNT_MINING_LASER_I", "Mining Laser I", 1, 1, strength=3),
    _mount("MOUNT_MINING_LASER_II", "Mining Laser II", 2, 2, strength=5),
    _mount("MOUNT_SURVEYOR_I", "Surveyor I", 1, 1, strength=1, deposits=_BASIC_DEPOSITS),
    _mount("MOUNT_SURVEYOR_II", "Surveyor II", 3, 4, strength=2,
           deposits=[*_BASIC_DEPOSITS, "DIAMONDS", "URANITE_ORE"]),
    _mount("MOUNT_TURRET_I", "Rotary Cannon", 1, 1),
]}

# type -> (name, role, frame, reactor, engine, modules, mounts, crew required/capacity, price)
ShipSpec = tuple[str, str, str, str, str, list[str], list[str], tuple[int, int], int]
SHIP_TYPES: dict[str, ShipSpec] = {
    "SHIP_PROBE": ("Probe Satellite", "SATELLITE", "FRAME_PROBE", "REACTOR_SOLAR_I",
                   "ENGINE_IMPULSE_DRIVE_I", [], [], (0, 0), 21627),
    "SHIP_MINING_DRONE": ("Mining Drone", "EXCAVATOR", "FRAME_DRONE", "REACTOR_CHEMICAL_I",
                          "ENGINE_IMPULSE_DRIVE_I",
                          ["MODULE_CARGO_HOLD_I", "MODULE_MINERAL_PROCESSOR_I"],
                          ["MOUNT_MINING_LASER_I"], (0, 0), 31250),
    "SHIP_SURVEYOR": ("Surveyor Craft", "SURVEYOR", "FRAME_DRONE", "REACTOR_SOLAR_I",
                      "ENGINE_IMPULSE_DRIVE_I", [], ["MOUNT_SURVEYOR_I"], (0, 0), 28480),
    "SHIP_LIGHT_SHUTTLE": ("Light Shuttle", "TRANSPORT", "FRAME_SHUTTLE", "REACTOR_CHEMICAL_I",
                           "ENGINE_ION_DRIVE_I", ["MODULE_CARGO_HOLD_II",
                                                  "MODULE_CREW_QUARTERS_I"],
                           ["MOUNT_TURRET_I"], (21, 40), 86420),
    "SHIP_ORE_HOUND": ("Ore Hound", "EXCAVATOR", "FRAME_MINER", "REACTOR_FISSION_I",
                       "ENGINE_ION_DRIVE_I", ["MODULE_CARGO_HOLD_II",
                                              "MODULE_MINERAL_PROCESSOR_I",
                                              "MODULE_CREW_QUARTERS_I"],
                       ["MOUNT_MINING_LASER_II", "MOUNT_SURVEYOR_I"], (33, 40), 154200),
    "SHIP_LIGHT_HAULER": ("Light Hauler", "HAULER", "FRAME_LIGHT_FREIGHTER",
                          "REACTOR_CHEMICAL_I", "ENGINE_ION_DRIVE_I",
                          ["MODULE_CARGO_HOLD_II", "MODULE_CARGO_HOLD_II",
                           "MODULE_CREW_QUARTERS_I", "MODULE_CREW_QUARTERS_I"],
                          ["MOUNT_TURRET_I"], (55, 80), 283600),
    "SHIP_COMMAND_FRIGATE": ("Command Frigate", "COMMAND", "FRAME_FRIGATE",
                             "REACTOR_FISSION_I", "ENGINE_ION_DRIVE_II",
                             ["MODULE_CARGO_HOLD_II", "MODULE_CREW_QUARTERS_I",
                              "MODULE_CREW_QUARTERS_I", "MODULE_MINERAL_PROCESSOR_I",
                              "MODULE_GAS_PROCESSOR_I"],
                             ["MOUNT_SENSOR_ARRAY_II", "MOUNT_GAS_SIPHON_II",
                              "MOUNT_MINING_LASER_II", "MOUNT_SURVEYOR_II"], (57, 80), 0),
}


def ship_template(ship_type: str) -> JSON:
    """Spec-shaped frame/reactor/engine/modules/mounts of a ship type, plus role and crew."""
    name, role, frame, reactor, engine, modules, mounts, crew, price = SHIP_TYPES[ship_type]
    return {
        "type": ship_type, "name": name, "role": role, "price": price,
        "frame": copy.deepcopy(FRAMES[frame]), "reactor": copy.deepcopy(REACTORS[reactor]),
        "engine": copy.deepcopy(ENGINES[engine]),
        "modules": [copy.deepcopy(MODULES[m]) for m in modules],
        "mounts": [copy.deepcopy(MOUNTS[m]) for m in mounts],
        "crew": {"required": crew[0], "capacity": crew[1]},
    }


def cargo_capacity(template: JSON) -> int:
    """Sum of the cargo hold modules' capacities."""
    return sum(m.get("capacity", 0) for m in template["modules"]
               if m["symbol"].startswith("MODULE_CARGO_HOLD"))


# symbol -> (name, base price per unit in credits)
GOODS: dict[str, tuple[str, int]] = {
    "FUEL": ("Fuel", 72), "ICE_WATER": ("Ice Water", 15), "QUARTZ_SAND": ("Quartz Sand", 20),
    "SILICON_CRYSTALS": ("Silicon Crystals", 35), "AMMONIA_ICE": ("Ammonia Ice", 30),
    "IRON_ORE": ("Iron Ore", 40), "COPPER_ORE": ("Copper Ore", 45),
    "ALUMINUM_ORE": ("Aluminum Ore", 50), "SILVER_ORE": ("Silver Ore", 90),
    "GOLD_ORE": ("Gold Ore", 110), "PLATINUM_ORE": ("Platinum Ore", 140),
    "PRECIOUS_STONES": ("Precious Stones", 80), "DIAMONDS": ("Diamonds", 300),
    "URANITE_ORE": ("Uranite Ore", 160), "HYDROCARBON": ("Hydrocarbon", 40),
    "LIQUID_HYDROGEN": ("Liquid Hydrogen", 30), "LIQUID_NITROGEN": ("Liquid Nitrogen", 30),
    "IRON": ("Iron", 120), "COPPER": ("Copper", 130), "ALUMINUM": ("Aluminum", 140),
    "PLASTICS": ("Plastics", 150), "FABRICS": ("Fabrics", 160), "FERTILIZERS": ("Fertilizers", 110),
    "FOOD": ("Galactic Cuisine", 900), "CLOTHING": ("Clothing", 2100),
    "MEDICINE": ("Medicine", 2500), "EQUIPMENT": ("Equipment", 1600),
    "MACHINERY": ("Machinery", 1400), "ELECTRONICS": ("Electronics", 1800),
    "JEWELRY": ("Jewelry", 3000), "EXPLOSIVES": ("Explosives", 200),
    "SHIP_PLATING": ("Ship Plating", 2400), "SHIP_PARTS": ("Ship Parts", 2600),
    "ANTIMATTER": ("Antimatter", 3000), "EXOTIC_MATTER": ("Exotic Matter", 40000),
    "ADVANCED_CIRCUITRY": ("Advanced Circuitry", 4000), "DRUGS": ("Drugs", 3500),
    "MICROPROCESSORS": ("Microprocessors", 2000), "POLYNUCLEOTIDES": ("Polynucleotides", 400),
}


def trade_good(symbol: str) -> JSON:
    """The spec's TradeGood object (symbol, name, description) of a trade symbol."""
    name = GOODS[symbol][0] if symbol in GOODS else symbol.replace("_", " ").title()
    return {"symbol": symbol, "name": name, "description": f"{name}, traded across the systems."}


# Raw goods an asteroid yields, by its deposit trait.
DEPOSIT_YIELDS: dict[str, list[str]] = {
    "COMMON_METAL_DEPOSITS": ["IRON_ORE", "COPPER_ORE", "ALUMINUM_ORE", "QUARTZ_SAND",
                              "SILICON_CRYSTALS", "ICE_WATER"],
    "MINERAL_DEPOSITS": ["QUARTZ_SAND", "SILICON_CRYSTALS", "ICE_WATER", "AMMONIA_ICE",
                         "PRECIOUS_STONES", "IRON_ORE"],
    "PRECIOUS_METAL_DEPOSITS": ["SILVER_ORE", "GOLD_ORE", "PLATINUM_ORE", "QUARTZ_SAND"],
    "RARE_METAL_DEPOSITS": ["URANITE_ORE", "DIAMONDS", "PLATINUM_ORE"],
}

EXTRACTABLE_TYPES = frozenset({"ASTEROID", "ASTEROID_FIELD", "ENGINEERED_ASTEROID"})



def trait(symbol: str) -> JSON:
    """The spec's WaypointTrait object for a trait symbol."""
    name = symbol.replace("_", " ").title()
    return {"symbol": symbol, "name": name,
            "description": f"This waypoint is known for {name.lower()}."}
