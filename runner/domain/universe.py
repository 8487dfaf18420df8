"""Universe values: systems, waypoints and markets as st-run sees them.

These are pure, immutable values. The API client parses server JSON into them, the state
store caches them, and routing and the playbook compiler read them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime

FUEL = "FUEL"


@dataclass(frozen=True)
class TradeGood:
    """One good's live price at a market (only known with a ship present)."""

    symbol: str
    type: str  # EXPORT | IMPORT | EXCHANGE
    trade_volume: int
    purchase_price: int  # what the ship pays to buy one unit
    sell_price: int  # what the ship receives for selling one unit
    supply: str = "MODERATE"
    activity: str | None = None


@dataclass(frozen=True)
class Market:
    """What a marketplace trades; ``trade_goods`` holds prices when they were seen."""

    symbol: str
    imports: frozenset[str] = frozenset()
    exports: frozenset[str] = frozenset()
    exchange: frozenset[str] = frozenset()
    trade_goods: Mapping[str, TradeGood] = field(default_factory=dict)
    fetched_at: datetime | None = None

    def trades(self, good: str) -> bool:
        """True when the market lists ``good`` at all (import, export or exchange)."""
        return good in self.imports or good in self.exports or good in self.exchange

    def sells(self, good: str) -> bool:
        """True when a ship can buy ``good`` here (export or exchange)."""
        return good in self.exports or good in self.exchange

    def buys(self, good: str) -> bool:
        """True when a ship can sell ``good`` here (import or exchange)."""
        return good in self.imports or good in self.exchange


@dataclass(frozen=True)
class Waypoint:
    """A waypoint; ``x``/``y`` are relative to its system, orbitals share coordinates."""

    symbol: str
    system: str
    type: str
    x: int
    y: int
    traits: frozenset[str] = frozenset()
    orbits: str | None = None
    orbitals: tuple[str, ...] = ()
    faction: str | None = None
    market: Market | None = None
    under_construction: bool = False
    ship_types: frozenset[str] | None = None  # what its shipyard sells; None: not read

    @property
    def has_market(self) -> bool:
        """True when the waypoint has the MARKETPLACE trait."""
        return "MARKETPLACE" in self.traits

    @property
    def has_shipyard(self) -> bool:
        """True when the waypoint has the SHIPYARD trait."""
        return "SHIPYARD" in self.traits

    @property
    def sells_fuel(self) -> bool:
        """True when a ship can refuel here (the market trades FUEL)."""
        return self.market is not None and self.market.trades(FUEL)


@dataclass(frozen=True)
class System:
    """A star system and its waypoints, indexed by symbol."""

    symbol: str
    type: str
    x: int
    y: int
    waypoints: Mapping[str, Waypoint]

    @classmethod
    def of(cls, symbol: str, waypoints: Iterable[Waypoint], *, type: str = "UNKNOWN",
           x: int = 0, y: int = 0) -> System:
        """Build a system from a list of waypoints (keeps their order)."""
        return cls(symbol, type, x, y, {w.symbol: w for w in waypoints})

    def __iter__(self) -> Iterator[Waypoint]:
        return iter(self.waypoints.values())

    def __len__(self) -> int:
        return len(self.waypoints)

    def __contains__(self, symbol: object) -> bool:
        return symbol in self.waypoints

    def __getitem__(self, symbol: str) -> Waypoint:
        return self.waypoints[symbol]

    def with_markets(self, markets: Mapping[str, Market]) -> System:
        """This system with each waypoint's market replaced by the one in ``markets`` when
        that one was observed later (a market never observed with prices is older than any
        that was); ``self`` itself when none is newer (routing caches systems by identity)."""
        newer = {symbol: market for symbol, market in markets.items()
                 if symbol in self.waypoints and _newer(market, self.waypoints[symbol].market)}
        if not newer:
            return self
        from dataclasses import replace

        waypoints = {symbol: replace(w, market=newer[symbol]) if symbol in newer else w
                     for symbol, w in self.waypoints.items()}
        return System(self.symbol, self.type, self.x, self.y, waypoints)

    def __hash__(self) -> int:
        # Identity hash: systems are large values used as cache keys by routing.
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other


def _newer(market: Market, than: Market | None) -> bool:
    """True when ``market`` holds prices observed after those of ``than``."""
    if market.fetched_at is None or not market.trade_goods:
        return False
    return than is None or than.fetched_at is None or market.fetched_at > than.fetched_at


def system_of(waypoint_symbol: str) -> str:
    """The system symbol of a waypoint symbol: ``X1-AB12-C3`` -> ``X1-AB12``."""
    sector, system, *_ = waypoint_symbol.split("-")
    return f"{sector}-{system}"


@dataclass(frozen=True)
class ConstructionMaterial:
    """One good a construction site needs: units ``required`` and ``fulfilled`` so far."""

    good: str
    required: int
    fulfilled: int


@dataclass(frozen=True)
class Construction:
    """``GET .../waypoints/{waypoint}/construction``: a site's materials and whether it is done."""

    waypoint: str
    materials: tuple[ConstructionMaterial, ...]
    complete: bool
