"""Market rules: refuel in market units, trade volume, credits, cargo, prices, visibility."""

from __future__ import annotations

import math

from tests.sim.helpers import Game, error_code


def _market(game: Game, symbol: str) -> dict:  # type: ignore[type-arg]
    return game.call("GET", f"/systems/{game.system}/waypoints/{symbol}/market").json()["data"]


def _export(game: Game) -> tuple[str, int]:
    """A good the headquarters market sells, and its trade volume."""
    good = next(g for g in game.universe.markets[game.hq].goods.values() if g.kind == "EXPORT")
    return good.symbol, good.trade_volume


def test_prices_only_visible_with_a_ship_present(game: Game) -> None:
    assert "tradeGoods" in _market(game, game.hq)
    other = next(m for m in game.universe.markets if m != game.hq
                 and game.universe.waypoints[m].system == game.system)
    assert "tradeGoods" not in _market(game, other)
    game.token = None  # anonymous callers see no prices either
    assert "tradeGoods" not in _market(game, game.hq)


def test_refuel_charges_whole_market_units(game: Game) -> None:
    game.set_ship(game.frigate, fuel=400 - 150)  # 150 missing = 2 started market units
    credits = game.data["agent"]["credits"]
    price = game.universe.markets[game.hq].goods["FUEL"].purchase_price()
    response = game.ship_call(game.frigate, "refuel")
    data = response.json()["data"]
    assert data["fuel"]["current"] == 400
    assert data["transaction"]["units"] == 2 == math.ceil(150 / 100)
    assert data["agent"]["credits"] == credits - 2 * price


def test_refuel_partial_units(game: Game) -> None:
    game.set_ship(game.frigate, fuel=100)
    response = game.ship_call(game.frigate, "refuel", json={"units": 100})
    assert response.json()["data"]["fuel"]["current"] == 200
    assert response.json()["data"]["transaction"]["units"] == 1


def test_refuel_needs_dock_4244(game: Game) -> None:
    game.ship_call(game.frigate, "orbit")
    assert error_code(game.ship_call(game.frigate, "refuel")) == 4244


def test_refuel_needs_fuel_at_the_market(game: Game) -> None:
    dry = game.market_without("FUEL")
    game.fly(game.probe, dry)
    game.ship_call(game.probe, "dock")
    assert error_code(game.ship_call(game.probe, "refuel")) == 4601


def test_refuel_without_credits_4600(game: Game) -> None:
    game.set_ship(game.frigate, fuel=0)
    game.set_credits(10)
    assert error_code(game.ship_call(game.frigate, "refuel")) == 4600


def test_purchase_and_sell_move_prices(game: Game) -> None:
    good, _ = _export(game)
    before = game.universe.markets[game.hq].goods[good].purchase_price()
    bought = game.ship_call(game.frigate, "purchase", json={"symbol": good, "units": 5})
    assert bought.status_code == 201
    tx = bought.json()["data"]["transaction"]
    assert tx["pricePerUnit"] == before and tx["totalPrice"] == 5 * before
    assert bought.json()["data"]["cargo"]["units"] == 5
    assert game.universe.markets[game.hq].goods[good].purchase_price() > before
    sell_before = game.universe.markets[game.hq].goods[good].sell_price()
    sold = game.ship_call(game.frigate, "sell", json={"symbol": good, "units": 5})
    assert sold.status_code == 201 and sold.json()["data"]["cargo"]["units"] == 0
    assert game.universe.markets[game.hq].goods[good].sell_price() < sell_before


def test_trade_volume_limit_4604(game: Game) -> None:
    good, volume = _export(game)
    game.set_credits(10**9)
    response = game.ship_call(game.frigate, "purchase", json={"symbol": good, "units": volume + 1})
    assert error_code(response) == 4604


def test_purchase_credits_4600_and_cargo_limit_4217(game: Game) -> None:
    good, _ = _export(game)
    game.set_credits(0)
    assert error_code(game.ship_call(game.frigate, "purchase",
                                     json={"symbol": good, "units": 1})) == 4600
    game.set_credits(10**9)
    game.set_ship(game.frigate, cargo={"IRON_ORE": 40})
    assert error_code(game.ship_call(game.frigate, "purchase",
                                     json={"symbol": good, "units": 1})) == 4217


def test_purchase_needs_dock_4244_and_a_listed_good_4601(game: Game) -> None:
    listed = set(game.universe.markets[game.hq].goods)
    absent = next(g for g in ("DIAMONDS", "ANTIMATTER", "EXOTIC_MATTER") if g not in listed)
    assert error_code(game.ship_call(game.frigate, "purchase",
                                     json={"symbol": absent, "units": 1})) == 4601
    game.ship_call(game.frigate, "orbit")
    assert error_code(game.ship_call(game.frigate, "purchase",
                                     json={"symbol": "FUEL", "units": 1})) == 4244


def test_sell_rules_4602_4218_4219(game: Game) -> None:
    listed = set(game.universe.markets[game.hq].goods)
    absent = next(g for g in ("DIAMONDS", "ANTIMATTER", "EXOTIC_MATTER") if g not in listed)
    game.set_ship(game.frigate, cargo={absent: 3})
    assert error_code(game.ship_call(game.frigate, "sell",
                                     json={"symbol": absent, "units": 1})) == 4602
    good, _ = _export(game)
    assert error_code(game.ship_call(game.frigate, "sell",
                                     json={"symbol": good, "units": 1})) == 4218
    game.set_ship(game.frigate, cargo={good: 2})
    assert error_code(game.ship_call(game.frigate, "sell",
                                     json={"symbol": good, "units": 3})) == 4219


def test_jettison(game: Game) -> None:
    game.set_ship(game.frigate, cargo={"IRON_ORE": 5})
    response = game.ship_call(game.frigate, "jettison", json={"symbol": "IRON_ORE", "units": 2})
    assert response.json()["data"]["cargo"]["units"] == 3
    assert error_code(game.ship_call(game.frigate, "jettison",
                                     json={"symbol": "IRON_ORE", "units": 9})) == 4219
    assert error_code(game.ship_call(game.frigate, "jettison",
                                     json={"symbol": "GOLD_ORE", "units": 1})) == 4218


def test_trading_in_transit_4214(game: Game) -> None:
    target = next(w.symbol for w in game.waypoints(lambda w: w.symbol != game.hq
                                                   and w.orbits != game.hq))
    game.ship_call(game.frigate, "orbit")
    game.ship_call(game.frigate, "navigate", json={"waypointSymbol": target})
    for action, body in [("refuel", None), ("purchase", {"symbol": "FUEL", "units": 1}),
                         ("sell", {"symbol": "FUEL", "units": 1}),
                         ("jettison", {"symbol": "FUEL", "units": 1})]:
        assert error_code(game.ship_call(game.frigate, action, json=body)) == 4214


def test_refuel_from_cargo_costs_no_credits(game: Game) -> None:
    game.set_ship(game.frigate, fuel=200, cargo={"FUEL": 3})
    credits = game.call("GET", "/my/agent").json()["data"]["credits"]
    response = game.ship_call(game.frigate, "refuel", json={"fromCargo": True})
    data = response.json()["data"]
    assert data["fuel"]["current"] == 400 and data["agent"]["credits"] == credits
    assert data["cargo"]["inventory"][0]["units"] == 1  # 200 fuel = 2 market units
