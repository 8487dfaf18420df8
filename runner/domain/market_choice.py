"""Where to trade a good: each known market's price net of the trip there (pure).

``{best: {sells: GOOD}}`` picks where the ship can buy GOOD cheapest, ``{best: {buys: GOOD}}``
where it can sell GOOD dearest, counting what getting there costs:

    trip cost   = fuel_used / 100 * fuel_price  +  duration_s * time_value
    net (sells) = purchase_price + trip cost / units     (lowest wins)
    net (buys)  = sell_price     - trip cost / units     (highest wins)

``fuel_used`` (ship fuel units; 100 make one market unit) and ``duration_s`` (flight time
plus refuel stops) are the routing planner's fastest route from the ship to the market;
``fuel_price`` is a market unit of FUEL (the cheapest the system's markets are known to
ask, else routing's default); ``time_value`` is credits per second of travel; ``units`` is
what the trip is for (``units_for``). Ties go to the shorter trip, then the symbol.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from runner.domain.travel import FUEL_PER_MARKET_UNIT
from runner.domain.universe import Market

Side = Literal["sells", "buys"]

DEFAULT_MAX_AGE_S = 3600.0
"""Markets observed longer ago than this are not chosen (``max_age``)."""
DEFAULT_TIME_VALUE = 1.0
"""Credits one second of travel is worth (``time_value``)."""


@dataclass(frozen=True)
class Offer:
    """One market's price for the good and the trip to it from the ship."""

    waypoint: str
    price: int  # per unit: what the ship pays there (sells) or receives there (buys)
    fuel_used: int  # ship fuel units the fastest route burns
    duration_s: float  # the route's time (flight + refuel stops)


@dataclass(frozen=True)
class Scored:
    """An offer with its trip cost (credits) and its net price per unit."""

    offer: Offer
    trip_cost: float
    net: float


def trip_cost(offer: Offer, fuel_price: float, time_value: float) -> float:
    """Credits the trip to ``offer`` costs: fuel burned at ``fuel_price`` per market unit,
    plus ``time_value`` per second."""
    return offer.fuel_used * fuel_price / FUEL_PER_MARKET_UNIT + offer.duration_s * time_value


def units_for(side: Side, good: str, capacity: int, units: int, aboard: int) -> int:
    """The units a trip is spread over: to buy (``sells``), the free cargo space; to sell
    (``buys``), the units of ``good`` aboard; the cargo capacity when that is 0 (the ship
    will fill up or carry it later); at least 1 (a ship without a hold)."""
    held = capacity - units if side == "sells" else aboard
    return max(1, held if held > 0 else capacity)


def score(side: Side, offer: Offer, units: int, fuel_price: float,
          time_value: float) -> Scored:
    """``offer``'s net price per unit (see the module)."""
    cost = trip_cost(offer, fuel_price, time_value)
    per_unit = cost / max(1, units)
    net = offer.price + per_unit if side == "sells" else offer.price - per_unit
    return Scored(offer, cost, net)


def ranked(side: Side, offers: Iterable[Offer], units: int, fuel_price: float,
           time_value: float) -> list[Scored]:
    """Every offer scored, best first (ties: shorter trip, then waypoint symbol)."""
    scored = [score(side, o, units, fuel_price, time_value) for o in offers]
    sign = 1.0 if side == "sells" else -1.0
    return sorted(scored, key=lambda s: (sign * s.net, s.offer.duration_s, s.offer.waypoint))


@dataclass(frozen=True)
class Spread:
    """The widest known margin on one good: buy at ``buy_at``, sell at ``sell_at``."""

    good: str
    buy_at: str
    buy_price: int  # what a ship pays at buy_at
    sell_at: str
    sell_price: int  # what a ship receives at sell_at
    volume: int  # the smaller trade volume of the two ends (units per transaction)

    @property
    def margin(self) -> int:
        return self.sell_price - self.buy_price


def best_spread(markets: Iterable[Market]) -> Spread | None:
    """The good with the widest positive margin between two of ``markets`` (priced ones):
    the cheapest market that sells it against the dearest other one that buys it. Trips
    are not counted (``{best: ...}`` nets them when the ship goes); ties go to the good's
    symbol. None when no good can be sold dearer than it is bought."""
    found: list[Spread] = []
    listed = [m for m in markets if m.trade_goods]
    for good in sorted({g for m in listed for g in m.trade_goods}):
        sellers = [m for m in listed if good in m.trade_goods and m.sells(good)]
        buyers = [m for m in listed if good in m.trade_goods and m.buys(good)]
        pairs = [(s, b) for s in sellers for b in buyers if s.symbol != b.symbol]
        if not pairs:
            continue
        seller, buyer = min(pairs, key=lambda p: (p[0].trade_goods[good].purchase_price
                                                  - p[1].trade_goods[good].sell_price,
                                                  p[0].symbol, p[1].symbol))
        ask, bid = seller.trade_goods[good], buyer.trade_goods[good]
        found.append(Spread(good, seller.symbol, ask.purchase_price, buyer.symbol,
                            bid.sell_price, min(ask.trade_volume, bid.trade_volume)))
    best = max(found, key=lambda s: s.margin, default=None)
    return best if best is not None and best.margin > 0 else None
