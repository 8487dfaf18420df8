"""The market choice's score: price net of the trip, per unit (a table of cases)."""

from __future__ import annotations

import pytest

from runner.domain import market_choice as mc


@pytest.mark.parametrize(("offer", "fuel_price", "time_value", "cost"), [
    (mc.Offer("A", 10, 0, 0.0), 72, 1.0, 0.0),  # here: nothing to pay
    (mc.Offer("A", 10, 100, 0.0), 72, 1.0, 72.0),  # one market unit of fuel
    (mc.Offer("A", 10, 250, 0.0), 80, 0.0, 200.0),  # fuel is priced per ship unit, no rounding
    (mc.Offer("A", 10, 0, 90.0), 72, 2.0, 180.0),  # time at its value
    (mc.Offer("A", 10, 200, 154.0), 72, 1.0, 298.0),  # both
])
def test_trip_cost_is_fuel_burned_plus_time(offer: mc.Offer, fuel_price: float,
                                            time_value: float, cost: float) -> None:
    assert mc.trip_cost(offer, fuel_price, time_value) == pytest.approx(cost)


@pytest.mark.parametrize(("side", "capacity", "units", "aboard", "spread"), [
    ("sells", 40, 0, 0, 40),  # to buy: the free space
    ("sells", 40, 30, 0, 10),
    ("sells", 40, 40, 0, 40),  # full: the trip is for a whole hold later
    ("buys", 40, 15, 15, 15),  # to sell: the units of the good aboard
    ("buys", 40, 15, 0, 40),  # none aboard: a whole hold (fetched later)
    ("sells", 0, 0, 0, 1),  # a ship without a hold: one unit
    ("buys", 0, 0, 0, 1),
])
def test_units_a_trip_is_spread_over(side: mc.Side, capacity: int, units: int, aboard: int,
                                     spread: int) -> None:
    assert mc.units_for(side, "ORE", capacity, units, aboard) == spread


@pytest.mark.parametrize(("side", "offers", "units", "time_value", "best", "net"), [
    # Selling: the dearer market wins when the trip costs less than the difference.
    ("buys", [mc.Offer("HQ", 40, 0, 0.0), mc.Offer("EX", 55, 200, 154.0)], 40, 1.0,
     "EX", 55 - 298 / 40),
    # ... and loses when time is worth more.
    ("buys", [mc.Offer("HQ", 40, 0, 0.0), mc.Offer("EX", 55, 200, 154.0)], 40, 20.0,
     "HQ", 40.0),
    # ... or when the trip is spread over few units.
    ("buys", [mc.Offer("HQ", 40, 0, 0.0), mc.Offer("EX", 55, 200, 154.0)], 5, 1.0,
     "HQ", 40.0),
    # Buying: the cheaper market net of the trip.
    ("sells", [mc.Offer("A", 30, 0, 0.0), mc.Offer("B", 20, 100, 100.0)], 40, 1.0,
     "B", 20 + 172 / 40),
    ("sells", [mc.Offer("A", 30, 0, 0.0), mc.Offer("B", 28, 100, 100.0)], 40, 1.0,
     "A", 30.0),
    # Equal nets: the shorter trip, then the symbol.
    ("sells", [mc.Offer("B", 30, 0, 10.0), mc.Offer("A", 30, 0, 10.0),
               mc.Offer("C", 30, 0, 5.0)], 40, 0.0, "C", 30.0),
    ("sells", [mc.Offer("B", 30, 0, 10.0), mc.Offer("A", 30, 0, 10.0)], 40, 0.0, "A", 30.0),
])
def test_the_best_offer_net_of_the_trip(side: mc.Side, offers: list[mc.Offer], units: int,
                                        time_value: float, best: str, net: float) -> None:
    top = mc.ranked(side, offers, units, 72, time_value)[0]
    assert (top.offer.waypoint, top.net) == (best, pytest.approx(net))


def test_ranked_lists_every_offer_best_first() -> None:
    offers = [mc.Offer("A", 10, 0, 0.0), mc.Offer("B", 30, 0, 0.0), mc.Offer("C", 20, 0, 0.0)]
    assert [s.offer.waypoint for s in mc.ranked("buys", offers, 1, 72, 1.0)] == ["B", "C", "A"]
    assert [s.offer.waypoint for s in mc.ranked("sells", offers, 1, 72, 1.0)] == ["A", "C", "B"]
