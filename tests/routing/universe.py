"""Test and bench helpers: the real X1-AD75 snapshot as a ``System``, ship classes from the
shipyard sample, and random systems (sparse fuel, orbital clusters).

The snapshot writes null for absent fields, so every lookup tolerates None.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from runner.domain.ship import Cargo, Fuel, Nav, NavStatus, Ship
from runner.domain.universe import FUEL, Market, System, TradeGood, Waypoint

SNAPSHOT = "X1-AD75_universe_snapshot_2025-04.json"


def _symbols(items: list[dict[str, Any]] | None) -> frozenset[str]:
    return frozenset(i["symbol"] for i in items or ())


def _market(raw: dict[str, Any]) -> Market:
    goods = {
        g["symbol"]: TradeGood(g["symbol"], g.get("type") or "EXCHANGE", g.get("tradeVolume") or 0,
                               g.get("purchasePrice") or 0, g.get("sellPrice") or 0,
                               g.get("supply") or "MODERATE", g.get("activity"))
        for g in raw.get("tradeGoods") or ()
    }
    return Market(raw["symbol"], _symbols(raw.get("imports")), _symbols(raw.get("exports")),
                  _symbols(raw.get("exchange")), goods)


def load_snapshot_system(samples_dir: Path) -> System:
    """X1-AD75 with its 82 waypoints and 25 markets."""
    data = json.loads((samples_dir / SNAPSHOT).read_text())
    markets = {m["symbol"]: _market(m) for m in data.get("marketplaces") or ()}
    waypoints = []
    for w in data["waypoints"]:
        faction = w.get("faction") or {}
        waypoints.append(Waypoint(
            symbol=w["symbol"], system=w.get("systemSymbol") or data["systems"][0]["symbol"],
            type=w.get("type") or "UNKNOWN", x=int(w["x"]), y=int(w["y"]),
            traits=_symbols(w.get("traits")), orbits=w.get("orbits"),
            orbitals=tuple(o["symbol"] for o in w.get("orbitals") or ()),
            faction=faction.get("symbol"), market=markets.get(w["symbol"]),
            under_construction=bool(w.get("isUnderConstruction")),
        ))
    sysraw = data["systems"][0]
    return System.of(sysraw["symbol"], waypoints, type=sysraw.get("type") or "UNKNOWN",
                     x=sysraw.get("x") or 0, y=sysraw.get("y") or 0)


def ship_class_stats(samples_dir: Path) -> dict[str, tuple[int, int]]:
    """Ship type -> (fuel capacity, engine speed) from the shipyard sample."""
    data = json.loads((samples_dir / "shipyard_ships_2025-04.json").read_text())
    return {s["type"]: (int(s["frame"].get("fuelCapacity") or 0), int(s["engine"]["speed"]))
            for s in data}


def make_ship(capacity: int, speed: int, *, symbol: str = "TEST-1", at: str = "X1-T-A1",
              fuel: int | None = None) -> Ship:
    """A ship value with the given tank and engine speed, in orbit at ``at``."""
    nav = Nav(system="-".join(at.split("-")[:2]), waypoint=at, status=NavStatus.IN_ORBIT)
    return Ship(symbol, "COMMAND", nav, Fuel(capacity if fuel is None else fuel, capacity),
                Cargo(40, 0), speed)


def random_system(rng: random.Random, n: int, *, fuel_share: float = 0.3, span: int = 800,
                  orbital_share: float = 0.15, priced: bool = True,
                  symbol: str = "X1-RND") -> System:
    """``n`` waypoints, uniform in [-span, span]²; some orbit an earlier one (same x, y);
    about ``fuel_share`` of them sell fuel (price 50..90 when ``priced``)."""
    waypoints: list[Waypoint] = []
    for i in range(n):
        if waypoints and rng.random() < orbital_share:
            parent = rng.choice(waypoints)
            x, y = parent.x, parent.y
        else:
            x, y = rng.randint(-span, span), rng.randint(-span, span)
        market = None
        if rng.random() < fuel_share:
            goods = {}
            if priced and rng.random() < 0.8:
                price = rng.randint(50, 90)
                goods[FUEL] = TradeGood(FUEL, "EXCHANGE", 100, price, price - 4)
            market = Market(f"{symbol}-W{i}", exchange=frozenset({FUEL}), trade_goods=goods)
        waypoints.append(Waypoint(f"{symbol}-W{i}", symbol, "PLANET", x, y,
                                  traits=frozenset({"MARKETPLACE"}) if market else frozenset(),
                                  market=market))
    return System.of(symbol, waypoints)
