"""Load a universe from a snapshot file (the X1-AD75 sample's format).

That format is another program's serialization: it writes ``null`` for absent fields and
drops some. We keep only what the simulator models and strip the nulls, so responses omit
optional fields instead of sending ``null``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from runner.sim.catalog import GOODS, SHIP_TYPES
from runner.sim.config import ConfigError
from runner.sim.universe import (
    Construction,
    Market,
    MarketGood,
    Shipyard,
    System,
    Universe,
    Waypoint,
)


def strip_nulls(value: Any) -> Any:
    """``value`` without any ``None`` entries in its dicts (recursively)."""
    if isinstance(value, dict):
        return {k: strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_nulls(v) for v in value]
    return value


def load_snapshot(path: Path) -> Universe:
    """A universe holding the snapshot's systems, waypoints, markets and shipyards."""
    try:
        raw = json.loads(Path(path).read_text())
        return _build(strip_nulls(raw))
    except OSError as exc:
        raise ConfigError(f"universe file {path}: {exc.strerror}") from None
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise ConfigError(f"universe file {path}: not a universe snapshot ({exc!r})") from None


def _build(raw: dict[str, Any]) -> Universe:
    uni = Universe()
    for s in raw["systems"]:
        uni.systems[s["symbol"]] = System(
            s["symbol"], s.get("sectorSymbol", s["symbol"].split("-")[0]), s["type"],
            int(s["x"]), int(s["y"]), factions=[f["symbol"] for f in s.get("factions", [])])
    for w in raw["waypoints"]:
        uni.add(Waypoint(
            w["symbol"], w["systemSymbol"], w["type"], int(w["x"]), int(w["y"]),
            traits=[t["symbol"] for t in w.get("traits", [])], orbits=w.get("orbits"),
            orbitals=[o["symbol"] for o in w.get("orbitals", [])],
            faction=(w.get("faction") or {}).get("symbol"), modifiers=w.get("modifiers", []),
            # The format writes the chart's waypointSymbol as null; the spec requires it.
            chart={**w["chart"], "waypointSymbol": w["symbol"]} if w.get("chart") else None,
            under_construction=bool(w.get("isUnderConstruction", False))))
    for m in raw.get("marketplaces", []):
        uni.markets[m["symbol"]] = _market(m)
    for y in raw.get("shipyards", []):
        types = [t["type"] for t in y.get("shipTypes", []) if t["type"] in SHIP_TYPES]
        uni.shipyards[y["symbol"]] = Shipyard(y["symbol"], types, y.get("modificationsFee", 100))
    for site in raw.get("construction_sites", []):
        uni.set_construction(Construction(site["symbol"], {
            m["tradeSymbol"]: [int(m["required"]), int(m["fulfilled"])]
            for m in site.get("materials", [])}))
    for gate in raw.get("jump_gates", []):
        uni.gates[gate["symbol"]] = list(gate.get("connections", []))
    chain = raw.get("supply_chain", {}).get("data", {}).get("exportToImportMap")
    if isinstance(chain, dict):
        uni.supply_chain = {k: list(v) for k, v in chain.items()}
    hq = raw.get("agent", {}).get("headquarters") or next(iter(uni.markets))
    uni.default_start = hq
    faction = raw.get("agent", {}).get("startingFaction")
    if faction:
        uni.start[faction] = hq
    return uni


def _market(m: dict[str, Any]) -> Market:
    market = Market(m["symbol"])
    listed = {g["symbol"]: g for g in m.get("tradeGoods", [])}
    for kind, key in (("EXPORT", "exports"), ("IMPORT", "imports"), ("EXCHANGE", "exchange")):
        for good in m.get(key, []):
            symbol = good["symbol"]
            seen = listed.get(symbol) or _guess(symbol, kind)
            market.goods[symbol] = MarketGood(
                symbol, kind, int(seen["purchasePrice"]), int(seen["sellPrice"]),
                int(seen["tradeVolume"]), seen.get("supply", "MODERATE"), seen.get("activity"))
    return market


def _guess(symbol: str, kind: str) -> dict[str, Any]:
    """Prices for a listed good the snapshot has no price for."""
    base = GOODS.get(symbol, ("", 100))[1] * (0.7 if kind == "EXPORT" else 1.3)
    return {"purchasePrice": round(base * 1.04), "sellPrice": round(base * 0.96),
            "tradeVolume": 60, "supply": "MODERATE"}
