"""Markets that behave like an economy: prices recover over time, and delivering a factory's
imports grows its exports' supply (the supply chain)."""

from __future__ import annotations

from typing import Any

from runner.sim.catalog import SUPPLY_CHAIN
from tests.sim.helpers import Game


def _goods(game: Game, market: str) -> dict[str, Any]:
    data = game.call("GET", f"/systems/{game.system}/waypoints/{market}/market").json()["data"]
    return {g["symbol"]: g for g in data["tradeGoods"]}


def test_prices_recover_after_trades(game: Game) -> None:
    before = _goods(game, game.hq)["FUEL"]["purchasePrice"]
    for _ in range(10):
        game.set_ship(game.frigate, cargo={})
        r = game.ship_call(game.frigate, "purchase", json={"symbol": "FUEL", "units": 40})
        assert r.status_code == 201, r.text
    pushed = _goods(game, game.hq)["FUEL"]["purchasePrice"]
    assert pushed > before
    game.advance(3600)
    partly = _goods(game, game.hq)["FUEL"]["purchasePrice"]
    assert before < partly < pushed
    game.advance(10 * 3600)
    assert _goods(game, game.hq)["FUEL"]["purchasePrice"] == before


def _factory(game: Game) -> tuple[str, str, str]:
    """A market of the home system exporting a good whose input it imports."""
    for symbol, market in game.universe.markets.items():
        if game.universe.waypoints[symbol].system != game.system:
            continue
        for export in market.symbols("EXPORT"):
            for needed in SUPPLY_CHAIN.get(export, []):
                if needed in market.symbols("IMPORT"):
                    return symbol, export, needed
    raise AssertionError("no factory in the home system")


def test_delivering_imports_grows_the_export_supply(game: Game) -> None:
    market, export, needed = _factory(game)
    game.universe.markets[market].goods[export].supply = "MODERATE"  # room to grow
    game.set_ship(game.frigate, waypoint=market, status="DOCKED")
    before = _goods(game, market)
    volume = before[needed]["tradeVolume"]
    delivered = 0
    while delivered < 5 * before[export]["tradeVolume"]:
        units = min(volume, 40)
        game.set_ship(game.frigate, cargo={needed: units})
        r = game.ship_call(game.frigate, "sell", json={"symbol": needed, "units": units})
        assert r.status_code == 201, r.text
        delivered += units
    after = _goods(game, market)
    assert before[export]["supply"] == "MODERATE" and after[export]["supply"] == "HIGH"
    assert after[export]["purchasePrice"] < before[export]["purchasePrice"]
