"""A compact JSON state (system, ships, agent) for planning offline and for golden tests.

::

    {"system": {"symbol": S, "waypoints": [{symbol, type, x, y, traits?,
                 market?: {imports?, exports?, exchange?,
                           prices?: {GOOD: [purchase, sell, trade_volume]}},
                 shipyard?: [SHIP_TYPE, ...]}]},
     "ship": {symbol, role?, at, status?, mode?, fuel?: [current, capacity],
              cargo?: {capacity, inventory?}, speed?, frame?, mounts?},
     "ships"?: [more ships, same form],
     "agent"?: {symbol, headquarters, credits?}}

A waypoint with ``market`` gets the MARKETPLACE trait; one with ``shipyard: [SHIP_TYPE, ...]``
(the types it sells) the SHIPYARD trait.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from runner.domain.ship import Agent, Cargo, FlightMode, Fuel, Nav, NavStatus, Ship
from runner.domain.universe import Market, System, TradeGood, Waypoint, system_of

SystemLoader = Callable[[str], System]


def load_state(path: Path, samples: SystemLoader | None = None
               ) -> tuple[System, list[Ship], Agent | None]:
    """System, ships (the ``ship`` first) and agent from a state file."""
    return parse_state(json.loads(path.read_text(encoding="utf-8")), samples)


def parse_state(data: Mapping[str, Any], samples: SystemLoader | None = None
                ) -> tuple[System, list[Ship], Agent | None]:
    """``load_state`` for data in memory; ``samples`` resolves ``"system": "sample:NAME"``."""
    spec = data["system"]
    if isinstance(spec, str):
        if samples is None or not spec.startswith("sample:"):
            raise ValueError(f"system {spec!r}: `sample:` systems exist only in the test "
                             "suite; give the system's waypoints")
        system = samples(spec.removeprefix("sample:"))
    else:
        system = build_system(spec)
    ships = [build_ship(s) for s in [data["ship"], *data.get("ships", [])]]
    return system, ships, build_agent(data.get("agent"))


def build_system(spec: Mapping[str, Any]) -> System:
    """A system from its compact form."""
    symbol = spec["symbol"]
    return System.of(symbol, [build_waypoint(w, symbol) for w in spec["waypoints"]])


def build_waypoint(w: Mapping[str, Any], system: str) -> Waypoint:
    """One waypoint from its compact form."""
    traits = set(w.get("traits", []))
    market = None
    if "market" in w:
        m = w["market"]
        traits.add("MARKETPLACE")
        prices = {g: TradeGood(g, "EXCHANGE", int(v), int(p), int(s))
                  for g, (p, s, v) in m.get("prices", {}).items()}
        market = Market(w["symbol"], frozenset(m.get("imports", [])),
                        frozenset(m.get("exports", [])), frozenset(m.get("exchange", [])),
                        prices)
    ship_types = None
    if "shipyard" in w:  # the ship types its shipyard sells
        traits.add("SHIPYARD")
        ship_types = frozenset(str(t) for t in w["shipyard"])
    return Waypoint(w["symbol"], system, w["type"], int(w["x"]), int(w["y"]),
                    frozenset(traits), market=market, ship_types=ship_types)


def build_ship(s: Mapping[str, Any]) -> Ship:
    """A ship from its compact form."""
    cargo = s.get("cargo", {"capacity": 40})
    inventory = {k: int(v) for k, v in cargo.get("inventory", {}).items()}
    current, capacity = s.get("fuel", [400, 400])
    return Ship(
        symbol=s["symbol"], role=s.get("role", "COMMAND"),
        nav=Nav(system_of(s["at"]), s["at"], NavStatus(s.get("status", "DOCKED")),
                FlightMode(s.get("mode", "CRUISE"))),
        fuel=Fuel(int(current), int(capacity)),
        cargo=Cargo(int(cargo["capacity"]), sum(inventory.values()), inventory),
        engine_speed=int(s.get("speed", 36)), frame=s.get("frame", ""),
        mounts=frozenset(s.get("mounts", [])),
    )


def build_agent(a: Mapping[str, Any] | None) -> Agent | None:
    """An agent from its compact form."""
    if a is None:
        return None
    return Agent(a["symbol"], a["headquarters"], int(a.get("credits", 100_000)),
                 a.get("faction", "COSMIC"))
