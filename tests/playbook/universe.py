"""Test data for the playbook tests: a small system, ships, and the real sample system."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from runner.domain.ship import Agent, Ship
from runner.domain.universe import System
from runner.playbook.state_file import build_ship, build_system, parse_state

SAMPLE = "X1-AD75_universe_snapshot_2025-04.json"


@lru_cache(maxsize=2)
def sample_system(samples_dir: str) -> System:
    """The real X1-AD75 system with waypoints, traits and markets (prices included), parsed
    with the API client's parsers."""
    from runner.api.parse import parse_market, parse_waypoint

    data = json.loads((Path(samples_dir) / SAMPLE).read_text())
    markets = {m["symbol"]: parse_market(m) for m in data["marketplaces"]}
    waypoints = [parse_waypoint(raw) for raw in data["waypoints"]]
    waypoints = [replace(w, market=markets.get(w.symbol)) for w in waypoints]
    return System.of(data["systems"][0]["symbol"], waypoints)


def state_from(data: Mapping[str, Any], samples_dir: str | None) -> tuple[System, list[Ship],
                                                                         Agent | None]:
    """``parse_state`` with ``sample:X1-AD75`` served from the samples folder."""
    def samples(name: str) -> System:
        assert samples_dir is not None and name == "X1-AD75", name
        return sample_system(samples_dir)
    return parse_state(data, samples)


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
"""A small line-shaped system: HQ (and moon M) at 0, belt B1 at 100, exchange EX at 200,
fuel station FS at 400, belt B2 at -300, FAR (no market) at 900."""


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
