"""``{best: {sells|buys: GOOD}}``: the market paying best net of the trip, among fresh ones."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from runner.domain.universe import System
from runner.playbook import StepContext, StepError, resolve_waypoint
from runner.playbook.selectors import best_market
from tests.playbook.universe import agent, ship, small_system

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def seen(ages: dict[str, float]) -> System:
    """The SMALL system with each named market's prices observed ``ages`` seconds ago."""
    system = small_system()
    markets = {s: replace(system[s].market, fetched_at=NOW - timedelta(seconds=age))
               for s, age in ages.items() if system[s].market is not None}
    return system.with_markets(markets)


def at(where: str, system: System, **kw: object) -> StepContext:
    return StepContext(ship=ship(at=where, **kw), system=system, agent=agent(), now=NOW)  # type: ignore[arg-type]


FRESH = {"X1-T-HQ": 60, "X1-T-EX": 60}


@pytest.mark.parametrize(("selector", "where", "symbol"), [
    # HQ buys IRON_ORE at 40, EX at 55 (200 away): worth the trip for a whole hold.
    ({"buys": "IRON_ORE"}, "X1-T-HQ", "X1-T-EX"),
    # Not when a second of travel is worth 20 credits.
    ({"buys": "IRON_ORE", "time_value": 20}, "X1-T-HQ", "X1-T-HQ"),
    ({"buys": "iron_ore", "not_here": True}, "X1-T-EX", "X1-T-HQ"),
    # FOOD is sold (exported) only at HQ; FUEL cheapest at HQ (72 vs 80).
    ({"sells": "FOOD"}, "X1-T-EX", "X1-T-HQ"),
    ({"sells": "FUEL"}, "X1-T-B1", "X1-T-HQ"),
])
def test_best_market_from_the_ship(selector: dict[str, object], where: str,
                                   symbol: str) -> None:
    assert resolve_waypoint({"best": selector}, at(where, seen(FRESH))) == symbol


def test_the_score_is_the_price_net_of_the_routed_trip() -> None:
    ctx = at("X1-T-HQ", seen(FRESH))
    chosen = best_market({"buys": "IRON_ORE"}, ctx)
    route = ctx.plan_route(ctx.ship, "X1-T-HQ", "X1-T-EX")
    fuel = sum(h.fuel_used for h in route.hops)
    cost = fuel * 72 / 100 + route.total_duration_s * 1.0
    assert chosen.trip_cost == pytest.approx(cost)
    assert chosen.net == pytest.approx(55 - cost / 40)


def test_goods_aboard_spread_the_trip_over_fewer_units() -> None:
    ctx = at("X1-T-HQ", seen(FRESH), inventory={"IRON_ORE": 2})
    assert best_market({"buys": "IRON_ORE"}, ctx).offer.waypoint == "X1-T-HQ"


def test_max_age_leaves_stale_markets_out() -> None:
    system = seen({"X1-T-HQ": 60, "X1-T-EX": 2 * 3600})
    assert resolve_waypoint({"best": {"buys": "IRON_ORE"}}, at("X1-T-HQ", system)) == "X1-T-HQ"
    assert resolve_waypoint({"best": {"buys": "IRON_ORE", "max_age": "3h"}},
                            at("X1-T-HQ", system)) == "X1-T-EX"


@pytest.mark.parametrize(("selector", "ages", "message"), [
    ({"buys": "IRON_ORE", "max_age": "30m"}, {"X1-T-HQ": 3700, "X1-T-EX": 7300},
     r"no market in X1-T seen within 30m00s buys IRON_ORE \(the freshest, X1-T-HQ, was "
     r"seen 1h01m ago"),
    ({"sells": "FUEL"}, {}, r"listed by X1-T-EX, X1-T-FS, X1-T-HQ, never priced"),
    ({"sells": "GOLD"}, FRESH, r"no market of the system lists it"),
    ({"sells": "FOOD", "buys": "FOOD"}, FRESH, "exactly one of"),
    ({"sells": "FOOD", "max_age": "soon"}, FRESH, "max_age: not a duration"),
    ({"sells": "FOOD", "time_value": -1}, FRESH, "time_value must be"),
])
def test_best_market_errors(selector: dict[str, object], ages: dict[str, float],
                            message: str) -> None:
    system = small_system() if not ages else seen(ages)
    if not ages:  # never observed: no prices at all
        system = System(system.symbol, system.type, system.x, system.y, {
            s: replace(w, market=None if w.market is None else replace(w.market, trade_goods={}))
            for s, w in system.waypoints.items()})
    with pytest.raises(StepError, match=message):
        resolve_waypoint({"best": selector}, at("X1-T-HQ", system))


def test_unreachable_markets_are_named() -> None:
    ctx = at("X1-T-B2", seen(FRESH), fuel=(0, 400), mode="CRUISE")
    with pytest.raises(StepError, match="no route to any market that buys IRON_ORE: X1-T-"):
        resolve_waypoint({"best": {"buys": "IRON_ORE"}}, ctx)


def test_with_markets_keeps_the_newest_observation() -> None:
    older, newer = seen({"X1-T-HQ": 600}), seen({"X1-T-HQ": 60})
    newest = newer["X1-T-HQ"].market
    assert newest is not None
    assert older.with_markets({"X1-T-HQ": newest})["X1-T-HQ"].market == newest
    assert newer.with_markets({"X1-T-HQ": older["X1-T-HQ"].market}) is newer  # type: ignore[dict-item]


def test_templates_see_best_market_and_market_age() -> None:
    from runner.playbook import evaluate

    names = at("X1-T-HQ", seen({"X1-T-HQ": 90, "X1-T-EX": 60})).names()
    assert evaluate("best_market(buys='IRON_ORE')", names) == "X1-T-EX"
    assert evaluate("best_market(sells='GOLD')", names) is None
    assert evaluate("market('X1-T-EX').age", names) == 60
    assert evaluate("market('X1-T-HQ').age_s", names) == 90
    with pytest.raises(StepError, match="exactly one of"):
        evaluate("best_market(good='FUEL')", names)
