"""Test data for the playbook tests: systems, ships and agents from compact dicts or samples.

The compact state format (used by the golden cases in ``tests/compile/``)::

    {"system": "sample:X1-AD75" | {"symbol": S, "waypoints": [{symbol, type, x, y,
               traits?, market?: {imports?, exports?, exchange?,
               prices?: {GOOD: [purchase, sell, volume]}}}]},
     "ship": {symbol, role, at, status?, mode?, fuel: [current, capacity],
              cargo?: {capacity, inventory?}, speed?, mounts?},
     "agent"?: {symbol, headquarters, credits}}

``sample:SYSTEM`` loads the real universe sample (through ``runner.api.parse``, as the client
would), with its markets.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from runner.domain.ship import Agent, Cargo, FlightMode, Fuel, Nav, NavStatus, Ship
from runner.domain.universe import Market, System, TradeGood, Waypoint, system_of

SAMPLE = "X1-AD75_universe_snapshot_2025-04.json"


@lru_cache(maxsize=2)
def sample_system(samples_dir: str) -> System:
    """The real X1-AD75 system with waypoints, traits and markets (prices included)."""
    from runner.api.parse import parse_market, parse_waypoint

    data = json.loads((Path(samples_dir) / SAMPLE).read_text())
    markets = {m["symbol"]: parse_market(m) for m in data["marketplaces"]}
    waypoints = []
    for raw in data["waypoints"]:
        w = parse_waypoint(raw)
        waypoints.append(Waypoint(**{**w.__dict__, "market": markets.get(w.symbol)}))
    return System.of(data["systems"][0]["symbol"], waypoints)


def build_system(spec: Any, samples_dir: str | None = None) -> System:
    """A system from the compact form (or ``sample:...``)."""
    if isinstance(spec, str) and spec.startswith("sample:"):
        assert samples_dir is not None, "sample systems need samples_dir"
        return sample_system(samples_dir)
    return System.of(spec["symbol"], [build_waypoint(w, spec["symbol"]) for w in spec["waypoints"]])


def build_waypoint(w: Mapping[str, Any], system: str) -> Waypoint:
    """One waypoint from the compact form."""
    market = None
    traits = set(w.get("traits", []))
    if "market" in w:
        m = w["market"]
        traits.add("MARKETPLACE")
        prices = {g: TradeGood(g, "EXCHANGE", v, p, s)
                  for g, (p, s, v) in m.get("prices", {}).items()}
        market = Market(w["symbol"], frozenset(m.get("imports", [])),
                        frozenset(m.get("exports", [])), frozenset(m.get("exchange", [])),
                        prices)
    return Waypoint(w["symbol"], system, w["type"], w["x"], w["y"], frozenset(traits),
                    market=market)


def build_ship(s: Mapping[str, Any]) -> Ship:
    """A ship from the compact form."""
    cargo = s.get("cargo", {"capacity": 40})
    inventory = dict(cargo.get("inventory", {}))
    return Ship(
        symbol=s["symbol"], role=s.get("role", "COMMAND"),
        nav=Nav(system_of(s["at"]), s["at"], NavStatus(s.get("status", "DOCKED")),
                FlightMode(s.get("mode", "CRUISE"))),
        fuel=Fuel(*s.get("fuel", [400, 400])),
        cargo=Cargo(cargo["capacity"], sum(inventory.values()), inventory),
        engine_speed=s.get("speed", 36), frame=s.get("frame", ""),
        mounts=frozenset(s.get("mounts", [])),
    )


def build_agent(a: Mapping[str, Any] | None) -> Agent | None:
    """An agent from the compact form."""
    if a is None:
        return None
    return Agent(a["symbol"], a["headquarters"], a.get("credits", 100_000), "COSMIC")


def build_state(state: Mapping[str, Any], samples_dir: str | None = None
                ) -> tuple[System, Ship, Agent | None]:
    """System, ship and agent from a compact state dict."""
    return (build_system(state["system"], samples_dir), build_ship(state["ship"]),
            build_agent(state.get("agent")))


SMALL = {
    "symbol": "X1-T",
    "waypoints": [
        {"symbol": "X1-T-HQ", "type": "PLANET", "x": 0, "y": 0,
         "market": {"exchange": ["FUEL"], "imports": ["IRON_ORE"], "exports": ["FOOD"],
                    "prices": {"FUEL": [72, 68, 100], "IRON_ORE": [50, 40, 20],
                               "FOOD": [30, 20, 10]}}},
        {"symbol": "X1-T-M", "type": "MOON", "x": 0, "y": 0},
        {"symbol": "X1-T-B1", "type": "ASTEROID", "x": 100, "y": 0},
        {"symbol": "X1-T-B2", "type": "ASTEROID", "x": -300, "y": 0},
        {"symbol": "X1-T-EX", "type": "ASTEROID_BASE", "x": 200, "y": 0,
         "market": {"imports": ["IRON_ORE", "ICE_WATER"], "exchange": ["FUEL"],
                    "prices": {"FUEL": [80, 75, 100], "IRON_ORE": [60, 55, 15]}}},
        {"symbol": "X1-T-FS", "type": "FUEL_STATION", "x": 400, "y": 0,
         "market": {"exchange": ["FUEL"]}},
        {"symbol": "X1-T-FAR", "type": "PLANET", "x": 900, "y": 0},
    ],
}
"""A small line-shaped system: HQ at 0, belt at 100, exchange at 200, fuel at 400."""


def small_system() -> System:
    """The SMALL system."""
    return build_system(SMALL)


def ship(at: str = "X1-T-HQ", *, status: str = "DOCKED", fuel: tuple[int, int] = (400, 400),
         capacity: int = 40, inventory: Mapping[str, int] | None = None,
         mounts: tuple[str, ...] = ("MOUNT_MINING_LASER_I", "MOUNT_SURVEYOR_I"),
         role: str = "COMMAND", symbol: str = "T-1", mode: str = "CRUISE",
         speed: int = 36) -> Ship:
    """A ship in the SMALL system (a mining command frigate unless told otherwise)."""
    return build_ship({"symbol": symbol, "role": role, "at": at, "status": status,
                       "mode": mode, "fuel": list(fuel),
                       "cargo": {"capacity": capacity, "inventory": dict(inventory or {})},
                       "speed": speed, "mounts": list(mounts)})


def agent(hq: str = "X1-T-HQ") -> Agent:
    """The test agent."""
    return Agent("T", hq, 100_000, "COSMIC")
