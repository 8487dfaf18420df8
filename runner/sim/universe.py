"""The universe's state: systems, waypoints, markets and shipyards (mutable, no I/O).

Market prices move after each trade and drift back to their base over game time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from runner.sim.catalog import SHIP_TYPES, SUPPLY_CHAIN, trade_good, trait

JSON = dict[str, Any]

SUPPLY_LEVELS = ["SCARCE", "LIMITED", "MODERATE", "HIGH", "ABUNDANT"]
PRICE_STEP = 0.04
"""Relative price move per ``tradeVolume`` units traded."""
PRICE_RECOVERY = 3600.0
"""Game seconds for a moved price to recover ~63% of the way back to its base."""


@dataclass
class Waypoint:
    """One waypoint; ``x``/``y`` relative to its system, orbitals share their parent's spot."""

    symbol: str
    system: str
    type: str
    x: int
    y: int
    traits: list[str] = field(default_factory=list)
    orbits: str | None = None
    orbitals: list[str] = field(default_factory=list)
    faction: str | None = None
    modifiers: list[JSON] = field(default_factory=list)
    chart: JSON | None = None
    under_construction: bool = False

    @property
    def charted(self) -> bool:
        """Whether someone charted it: uncharted waypoints show only the UNCHARTED trait."""
        return self.chart is not None

    def visible_traits(self) -> list[str]:
        return self.traits if self.charted else ["UNCHARTED"]

    def shown_traits(self) -> list[JSON]:
        return [trait(t) for t in self.visible_traits()]

    def to_json(self) -> JSON:
        """The spec's Waypoint object (optional fields omitted when absent)."""
        out: JSON = {
            "symbol": self.symbol, "type": self.type, "systemSymbol": self.system,
            "x": self.x, "y": self.y, "orbitals": [{"symbol": o} for o in self.orbitals],
            "traits": self.shown_traits(), "modifiers": self.modifiers,
            "isUnderConstruction": self.under_construction,
        }
        if self.orbits:
            out["orbits"] = self.orbits
        if self.faction:
            out["faction"] = {"symbol": self.faction}
        if self.chart:
            out["chart"] = self.chart
        return out

    def to_system_json(self) -> JSON:
        """The spec's SystemWaypoint object."""
        out: JSON = {"symbol": self.symbol, "type": self.type, "x": self.x, "y": self.y,
                     "orbitals": [{"symbol": o} for o in self.orbitals]}
        if self.orbits:
            out["orbits"] = self.orbits
        return out

    def route_json(self) -> JSON:
        """The spec's ShipNavRouteWaypoint object."""
        return {"symbol": self.symbol, "type": self.type, "systemSymbol": self.system,
                "x": self.x, "y": self.y}


@dataclass
class System:
    """A star system and the symbols of its waypoints, in listing order."""

    symbol: str
    sector: str
    type: str
    x: int
    y: int
    waypoints: list[str] = field(default_factory=list)
    factions: list[str] = field(default_factory=list)


@dataclass
class MarketGood:
    """One good at one market; ``pressure`` > 1 after buying, < 1 after selling."""

    symbol: str
    kind: str  # IMPORT / EXPORT / EXCHANGE
    purchase_base: int
    sell_base: int
    trade_volume: int
    supply: str
    activity: str | None = None
    pressure: float = 1.0
    updated: float = 0.0
    production: int = 0  # import units delivered since the supply last grew (exports only)

    def settle(self, now: float) -> None:
        """Let the price drift back towards its base for the game time since last trade."""
        if now > self.updated:
            decay = math.exp(-(now - self.updated) / PRICE_RECOVERY)
            self.pressure = 1.0 + (self.pressure - 1.0) * decay
            self.updated = now

    def purchase_price(self) -> int:
        """Credits per unit a ship pays here."""
        return max(1, round(self.purchase_base * self.pressure))

    def sell_price(self) -> int:
        """Credits per unit a ship receives here."""
        return max(1, round(self.sell_base * self.pressure))

    def trade(self, units: int, buying: bool) -> None:
        """Move the price after a trade: buying raises it, selling lowers it."""
        step = PRICE_STEP * units / self.trade_volume
        self.pressure = self.pressure * (1 + step) if buying else self.pressure / (1 + step)

    def grow(self, units: int, levels: int) -> None:
        """An import delivered: production builds up; every ``levels`` x tradeVolume units of it
        lift the supply one level and lower the price (the factory works faster)."""
        self.production += units
        need = levels * self.trade_volume
        while self.production >= need and self.supply != SUPPLY_LEVELS[-1]:
            self.production -= need
            self.supply = SUPPLY_LEVELS[SUPPLY_LEVELS.index(self.supply) + 1]
            self.purchase_base = max(1, round(self.purchase_base * 0.9))
            self.sell_base = max(1, round(self.sell_base * 0.9))

    def to_json(self) -> JSON:
        """The spec's MarketTradeGood object."""
        out: JSON = {"symbol": self.symbol, "type": self.kind, "tradeVolume": self.trade_volume,
                     "supply": self.supply, "purchasePrice": self.purchase_price(),
                     "sellPrice": self.sell_price()}
        if self.activity:
            out["activity"] = self.activity
        return out


@dataclass
class Market:
    """A marketplace; prices are only shown while one of the caller's ships is present."""

    symbol: str
    goods: dict[str, MarketGood] = field(default_factory=dict)
    transactions: list[JSON] = field(default_factory=list)

    def symbols(self, kind: str) -> list[str]:
        return [g.symbol for g in self.goods.values() if g.kind == kind]

    def to_json(self, now: float, with_prices: bool) -> JSON:
        """The spec's Market object; ``tradeGoods``/``transactions`` only ``with_prices``."""
        out: JSON = {"symbol": self.symbol,
                     "exports": [trade_good(s) for s in self.symbols("EXPORT")],
                     "imports": [trade_good(s) for s in self.symbols("IMPORT")],
                     "exchange": [trade_good(s) for s in self.symbols("EXCHANGE")]}
        if with_prices:
            for good in self.goods.values():
                good.settle(now)
            out["tradeGoods"] = [g.to_json() for g in self.goods.values()]
            out["transactions"] = self.transactions[-20:]
        return out


    def deliver_imports(self, symbol: str, units: int, levels: int,
                        chain: dict[str, list[str]]) -> None:
        """Goods sold here as an import feed the exports made from them (the supply chain)."""
        good = self.goods.get(symbol)
        if good is None or good.kind != "IMPORT":
            return
        for export in self.goods.values():
            if export.kind == "EXPORT" and symbol in chain.get(export.symbol, ()):
                export.grow(units, levels)


@dataclass
class Shipyard:
    """A shipyard: the ship types it sells and each type's price raise after purchases.

    ``raised[type]`` is (factor, game time): the factor > 1 decays back to 1 over time.
    """

    symbol: str
    ship_types: list[str]
    modifications_fee: int = 100
    raised: dict[str, tuple[float, float]] = field(default_factory=dict)
    transactions: list[JSON] = field(default_factory=list)

    def price(self, ship_type: str, now: float, recovery: float) -> int:
        """The current price of ``ship_type`` here."""
        base = SHIP_TYPES[ship_type][-1]
        factor, since = self.raised.get(ship_type, (1.0, now))
        factor = 1.0 + (factor - 1.0) * math.exp(-max(0.0, now - since) / recovery)
        return round(base * factor)

    def bought(self, ship_type: str, now: float, step: float, recovery: float) -> None:
        """A purchase raises this type's price by ``step``."""
        current = self.price(ship_type, now, recovery) / SHIP_TYPES[ship_type][-1]
        self.raised[ship_type] = (current * (1 + step), now)


@dataclass
class Construction:
    """A construction site: materials (good -> [required, fulfilled])."""

    symbol: str
    materials: dict[str, list[int]]

    @property
    def complete(self) -> bool:
        return all(f >= r for r, f in self.materials.values())

    def to_json(self) -> JSON:
        """The spec's Construction object."""
        return {"symbol": self.symbol, "isComplete": self.complete,
                "materials": [{"tradeSymbol": g, "required": r, "fulfilled": f}
                              for g, (r, f) in self.materials.items()]}


@dataclass
class Universe:
    """All systems and what is at their waypoints; ``start`` maps faction -> headquarters."""

    systems: dict[str, System] = field(default_factory=dict)
    waypoints: dict[str, Waypoint] = field(default_factory=dict)
    markets: dict[str, Market] = field(default_factory=dict)
    shipyards: dict[str, Shipyard] = field(default_factory=dict)
    start: dict[str, str] = field(default_factory=dict)
    default_start: str = ""
    gates: dict[str, list[str]] = field(default_factory=dict)  # gate -> connected gates
    constructions: dict[str, Construction] = field(default_factory=dict)
    supply_chain: dict[str, list[str]] = field(default_factory=lambda: dict(SUPPLY_CHAIN))

    def gate_of(self, system: str) -> str | None:
        """The jump gate waypoint of ``system`` (at most one per system)."""
        return next((w for w in self.systems[system].waypoints
                     if self.waypoints[w].type == "JUMP_GATE"), None)

    def set_construction(self, site: Construction) -> None:
        """Put ``site`` under construction (or mark it finished when it is complete)."""
        self.constructions[site.symbol] = site
        self.waypoints[site.symbol].under_construction = not site.complete

    def add(self, wp: Waypoint) -> Waypoint:
        self.waypoints[wp.symbol] = wp
        self.systems[wp.system].waypoints.append(wp.symbol)
        return wp

    def headquarters(self, faction: str) -> str:
        """Where a new agent of ``faction`` starts."""
        return self.start.get(faction, self.default_start)

    def system_json(self, symbol: str) -> JSON:
        """The spec's System object."""
        system = self.systems[symbol]
        out: JSON = {"symbol": system.symbol, "sectorSymbol": system.sector,
                     "type": system.type, "x": system.x, "y": system.y,
                     "waypoints": [self.waypoints[w].to_system_json() for w in system.waypoints],
                     "factions": [{"symbol": f} for f in system.factions]}
        return out
