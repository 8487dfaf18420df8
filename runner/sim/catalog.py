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
    _frame("FRAME_INTERCEPTOR", "Interceptor", 2, 2, 160, 1, 5, 3),
    _frame("FRAME_EXPLORER", "Explorer", 8, 2, 800, 5, 30, 5),
    _frame("FRAME_HEAVY_FREIGHTER", "Heavy Freighter", 13, 3, 2300, 10, 100, 5),
]}
REACTORS = {r["symbol"]: r for r in [
    _reactor("REACTOR_SOLAR_I", "Solar Reactor I", 3, 0, 1),
    _reactor("REACTOR_CHEMICAL_I", "Chemical Reactor I", 15, 3, 3),
    _reactor("REACTOR_FISSION_I", "Fission Reactor I", 31, 8, 5),
    _reactor("REACTOR_FUSION_I", "Fusion Reactor I", 40, 12, 6),
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
    _module("MODULE_CARGO_HOLD_III", "Bulk Cargo Hold", 4, 6, 3, capacity=75),
    _module("MODULE_ENVOY_QUARTERS_I", "Envoy Quarters", 2, 5, 1, capacity=1),
    _module("MODULE_PASSENGER_CABIN_I", "Passenger Cabin", 2, 2, 1, capacity=30),
    _module("MODULE_ORE_REFINERY_I", "Ore Refinery", 9, 15, 3),
    _module("MODULE_SCIENCE_LAB_I", "Science Lab", 2, 6, 2),
    _module("MODULE_SHIELD_GENERATOR_I", "Shield Generator", 3, 2, 1),
    _module("MODULE_JUMP_DRIVE_I", "Jump Drive", 4, 10, 1, range_=500),
    _module("MODULE_WARP_DRIVE_I", "Warp Drive", 3, 2, 1, range_=2000),
    _module("MODULE_WARP_DRIVE_II", "Advanced Warp Drive", 5, 8, 2, range_=6000),
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
    _mount("MOUNT_GAS_SIPHON_I", "Gas Siphon I", 1, 0, strength=10),
    _mount("MOUNT_SENSOR_ARRAY_I", "Sensor Array I", 1, 0, strength=1),
    _mount("MOUNT_LASER_CANNON_I", "Laser Cannon", 2, 1),
    _mount("MOUNT_MISSILE_LAUNCHER_I", "Missile Launcher", 1, 2),
]}

# type -> (name, role, frame, reactor, engine, modules, mounts, crew required/capacity, price)
ShipSpec = tuple[str, str, str, str, str, list[str], list[str], tuple[int, int], int]
SHIP_TYPES: dict[str, ShipSpec] = {
    # Prices: base shipyard prices seen in X1-AD75 (2025-04) where known, estimates otherwise.
    "SHIP_PROBE": ("Probe Satellite", "SATELLITE", "FRAME_PROBE", "REACTOR_SOLAR_I",
                   "ENGINE_IMPULSE_DRIVE_I", [], [], (0, 0), 21000),
    "SHIP_MINING_DRONE": ("Mining Drone", "EXCAVATOR", "FRAME_DRONE", "REACTOR_CHEMICAL_I",
                          "ENGINE_IMPULSE_DRIVE_I",
                          ["MODULE_CARGO_HOLD_I", "MODULE_MINERAL_PROCESSOR_I"],
                          ["MOUNT_MINING_LASER_I"], (0, 0), 41800),
    "SHIP_SIPHON_DRONE": ("Siphon Drone", "EXCAVATOR", "FRAME_DRONE", "REACTOR_CHEMICAL_I",
                          "ENGINE_IMPULSE_DRIVE_I",
                          ["MODULE_CARGO_HOLD_I", "MODULE_GAS_PROCESSOR_I"],
                          ["MOUNT_GAS_SIPHON_I"], (0, 0), 39900),
    "SHIP_SURVEYOR": ("Surveyor Craft", "SURVEYOR", "FRAME_DRONE", "REACTOR_CHEMICAL_I",
                      "ENGINE_IMPULSE_DRIVE_I", [], ["MOUNT_SURVEYOR_I"], (0, 0), 27700),
    "SHIP_LIGHT_SHUTTLE": ("Light Shuttle", "TRANSPORT", "FRAME_SHUTTLE", "REACTOR_CHEMICAL_I",
                           "ENGINE_ION_DRIVE_I", ["MODULE_CARGO_HOLD_II",
                                                  "MODULE_CREW_QUARTERS_I"],
                           ["MOUNT_TURRET_I"], (21, 40), 88900),
    "SHIP_INTERCEPTOR": ("Interceptor", "INTERCEPTOR", "FRAME_INTERCEPTOR",
                         "REACTOR_CHEMICAL_I", "ENGINE_ION_DRIVE_I",
                         ["MODULE_CREW_QUARTERS_I"],
                         ["MOUNT_TURRET_I", "MOUNT_MISSILE_LAUNCHER_I"], (16, 40), 95000),
    "SHIP_ORE_HOUND": ("Ore Hound", "EXCAVATOR", "FRAME_MINER", "REACTOR_FISSION_I",
                       "ENGINE_ION_DRIVE_I", ["MODULE_CARGO_HOLD_II",
                                              "MODULE_MINERAL_PROCESSOR_I",
                                              "MODULE_CREW_QUARTERS_I"],
                       ["MOUNT_MINING_LASER_II", "MOUNT_SURVEYOR_I"], (33, 40), 154200),
    "SHIP_LIGHT_HAULER": ("Light Hauler", "HAULER", "FRAME_LIGHT_FREIGHTER",
                          "REACTOR_CHEMICAL_I", "ENGINE_ION_DRIVE_I",
                          ["MODULE_CARGO_HOLD_II", "MODULE_CARGO_HOLD_II",
                           "MODULE_CREW_QUARTERS_I", "MODULE_CREW_QUARTERS_I"],
                          ["MOUNT_TURRET_I"], (55, 80), 272800),
    "SHIP_EXPLORER": ("Explorer", "EXPLORER", "FRAME_EXPLORER", "REACTOR_FUSION_I",
                      "ENGINE_ION_DRIVE_II", ["MODULE_CARGO_HOLD_II", "MODULE_CREW_QUARTERS_I",
                                              "MODULE_CREW_QUARTERS_I", "MODULE_WARP_DRIVE_I",
                                              "MODULE_GAS_PROCESSOR_I"],
                      ["MOUNT_SENSOR_ARRAY_II", "MOUNT_GAS_SIPHON_II"], (62, 80), 420000),
    "SHIP_HEAVY_FREIGHTER": ("Heavy Freighter", "HAULER", "FRAME_HEAVY_FREIGHTER",
                             "REACTOR_FUSION_I", "ENGINE_ION_DRIVE_II",
                             ["MODULE_CARGO_HOLD_III"] * 3 + ["MODULE_CREW_QUARTERS_I"] * 4,
                             ["MOUNT_TURRET_I"] * 3, (149, 160), 1200000),
    "SHIP_REFINING_FREIGHTER": ("Refining Freighter", "REFINERY", "FRAME_HEAVY_FREIGHTER",
                                "REACTOR_FUSION_I", "ENGINE_ION_DRIVE_II",
                                ["MODULE_CARGO_HOLD_III"] * 2
                                + ["MODULE_CREW_QUARTERS_I"] * 4 + ["MODULE_ORE_REFINERY_I"],
                                ["MOUNT_TURRET_I", "MOUNT_TURRET_I",
                                 "MOUNT_MISSILE_LAUNCHER_I"], (159, 160), 1500000),
    "SHIP_COMMAND_FRIGATE": ("Command Frigate", "COMMAND", "FRAME_FRIGATE",
                             "REACTOR_FISSION_I", "ENGINE_ION_DRIVE_II",
                             ["MODULE_CARGO_HOLD_II", "MODULE_CREW_QUARTERS_I",
                              "MODULE_CREW_QUARTERS_I", "MODULE_MINERAL_PROCESSOR_I",
                              "MODULE_GAS_PROCESSOR_I"],
                             ["MOUNT_SENSOR_ARRAY_II", "MOUNT_GAS_SIPHON_II",
                              "MOUNT_MINING_LASER_II", "MOUNT_SURVEYOR_II"], (57, 80),
                             # Never sold; its value sets its repair and scrap prices.
                             150000),
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
    "ANTIMATTER": ("Antimatter", 5000), "EXOTIC_MATTER": ("Exotic Matter", 40000),
    "ADVANCED_CIRCUITRY": ("Advanced Circuitry", 4000), "DRUGS": ("Drugs", 3500),
    "MICROPROCESSORS": ("Microprocessors", 2000), "POLYNUCLEOTIDES": ("Polynucleotides", 400),
    "FAB_MATS": ("Fabrication Materials", 1900), "QUANTUM_STABILIZERS": ("Quantum Stabilizers",
                                                                        9000),
    "LAB_INSTRUMENTS": ("Lab Instruments", 3000), "SILVER": ("Silver", 260),
    "GOLD": ("Gold", 320), "PLATINUM": ("Platinum", 420), "URANITE": ("Uranite", 500),
    "MERITIUM_ORE": ("Meritium Ore", 200), "MERITIUM": ("Meritium", 900),
    **{m: (MODULES[m]["name"], 4000) for m in MODULES},
    **{m: (MOUNTS[m]["name"], 4000) for m in MOUNTS},
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

# What a gas giant yields to siphons.
SIPHON_YIELDS = ["HYDROCARBON", "LIQUID_HYDROGEN", "LIQUID_NITROGEN"]
SIPHONABLE_TYPES = frozenset({"GAS_GIANT"})

# Refinery products and the raw good each is made from.
REFINE_INPUTS: dict[str, str] = {
    "IRON": "IRON_ORE", "COPPER": "COPPER_ORE", "SILVER": "SILVER_ORE", "GOLD": "GOLD_ORE",
    "ALUMINUM": "ALUMINUM_ORE", "PLATINUM": "PLATINUM_ORE", "URANITE": "URANITE_ORE",
    "MERITIUM": "MERITIUM_ORE", "FUEL": "HYDROCARBON",
}

# The supply chain for the goods the simulator trades: export -> the imports its factory
# consumes (a subset of the live server's map, same facts; GET /market/supply-chain).
SUPPLY_CHAIN: dict[str, list[str]] = {
    "IRON": ["IRON_ORE"], "COPPER": ["COPPER_ORE"], "ALUMINUM": ["ALUMINUM_ORE"],
    "SILVER": ["SILVER_ORE"], "GOLD": ["GOLD_ORE"], "PLATINUM": ["PLATINUM_ORE"],
    "URANITE": ["URANITE_ORE"], "MERITIUM": ["MERITIUM_ORE"],
    "FUEL": ["HYDROCARBON"], "PLASTICS": ["LIQUID_HYDROGEN"],
    "FERTILIZERS": ["LIQUID_NITROGEN"], "FABRICS": ["FERTILIZERS"],
    "ELECTRONICS": ["SILICON_CRYSTALS", "COPPER"], "MICROPROCESSORS": ["SILICON_CRYSTALS",
                                                                       "COPPER"],
    "MACHINERY": ["IRON"], "EQUIPMENT": ["ALUMINUM", "PLASTICS"],
    "EXPLOSIVES": ["LIQUID_HYDROGEN", "LIQUID_NITROGEN"], "FOOD": ["FERTILIZERS"],
    "CLOTHING": ["FABRICS"], "JEWELRY": ["GOLD", "SILVER", "PRECIOUS_STONES", "DIAMONDS"],
    "MEDICINE": ["FABRICS", "POLYNUCLEOTIDES"], "SHIP_PLATING": ["ALUMINUM", "MACHINERY"],
    "SHIP_PARTS": ["EQUIPMENT", "ELECTRONICS"], "FAB_MATS": ["IRON", "QUARTZ_SAND"],
    "ADVANCED_CIRCUITRY": ["ELECTRONICS", "MICROPROCESSORS"],
    "ANTIMATTER": ["LAB_INSTRUMENTS", "ADVANCED_CIRCUITRY"],
    "LAB_INSTRUMENTS": ["ELECTRONICS", "EQUIPMENT"],
}



def trait(symbol: str) -> JSON:
    """The spec's WaypointTrait object for a trait symbol."""
    name = symbol.replace("_", " ").title()
    return {"symbol": symbol, "name": name,
            "description": f"This waypoint is known for {name.lower()}."}
