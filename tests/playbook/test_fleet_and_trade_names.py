"""``best_trade()`` and ``fleet``: the template names a fleet's controller decides with."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from runner.domain.market_choice import best_spread
from runner.domain.universe import Market, TradeGood
from runner.playbook import StepContext, StepError, evaluate
from runner.playbook.game_names import needs
from runner.playbook.model import load_playbook_text
from tests.playbook.universe import agent, ship, small_system

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def market(symbol: str, **goods: tuple[str, int, int]) -> Market:
    """A market where each good is (type, what a ship pays, what a ship receives)."""
    kinds: dict[str, set[str]] = {"EXPORT": set(), "IMPORT": set(), "EXCHANGE": set()}
    for good, (kind, _, _) in goods.items():
        kinds[kind].add(good)
    return Market(symbol, imports=frozenset(kinds["IMPORT"]),
                  exports=frozenset(kinds["EXPORT"]), exchange=frozenset(kinds["EXCHANGE"]),
                  trade_goods={g: TradeGood(g, k, 10, buy, sell)
                               for g, (k, buy, sell) in goods.items()},
                  fetched_at=NOW)


@pytest.mark.parametrize(("markets", "expected"), [
    # ORE bought at A for 10, sold at B for 30: margin 20; FOOD only 5.
    ([market("A", ORE=("EXPORT", 10, 8), FOOD=("EXPORT", 50, 45)),
      market("B", ORE=("IMPORT", 33, 30), FOOD=("IMPORT", 57, 55))], ("ORE", "A", "B", 20)),
    # The cheapest seller and the dearest buyer, wherever they are.
    ([market("A", ORE=("EXPORT", 12, 8)), market("B", ORE=("EXCHANGE", 11, 9)),
      market("C", ORE=("IMPORT", 33, 30)), market("D", ORE=("IMPORT", 40, 36))],
     ("ORE", "B", "D", 25)),
    # One market both selling and buying a good is no trade.
    ([market("A", ORE=("EXCHANGE", 10, 30))], None),
    # No margin: nothing to trade.
    ([market("A", ORE=("EXPORT", 30, 25)), market("B", ORE=("IMPORT", 30, 29))], None),
    # A market seen without prices offers nothing.
    ([replace(market("A", ORE=("EXPORT", 1, 1)), trade_goods={}),
      market("B", ORE=("IMPORT", 30, 29))], None),
])
def test_best_spread(markets: list[Market],
                     expected: tuple[str, str, str, int] | None) -> None:
    found = best_spread(markets)
    shown = None if found is None else (found.good, found.buy_at, found.sell_at, found.margin)
    assert shown == expected


def context(ages: dict[str, float] | None = None, **kw: object) -> StepContext:
    system = small_system()
    stamped = {s: replace(system[s].market, fetched_at=NOW - timedelta(seconds=age))
               for s, age in (ages or {}).items() if system[s].market is not None}
    return StepContext(ship=ship(), system=system.with_markets(stamped), agent=agent(),
                       now=NOW, **kw)  # type: ignore[arg-type]


def test_best_trade_reads_fresh_markets_only() -> None:
    fresh = context({"X1-T-HQ": 60, "X1-T-EX": 60, "X1-T-FS": 60})
    trade = evaluate("best_trade()", fresh.names())
    assert trade is not None and trade["margin"] > 0
    assert trade["buy_at"] != trade["sell_at"]
    stale = context({"X1-T-HQ": 60, "X1-T-EX": 7200, "X1-T-FS": 7200})
    assert evaluate("best_trade()", stale.names()) is None
    assert evaluate("best_trade(max_age='3h')", stale.names()) == trade
    with pytest.raises(StepError, match="max_age"):
        evaluate("best_trade(max_age='soon')", fresh.names())


def test_fleet_counts_and_places_ships() -> None:
    fleet = (ship(symbol="T-1"), ship(symbol="T-2", role="EXCAVATOR", at="X1-T-B2"),
             ship(symbol="T-3", role="EXCAVATOR", at="X1-T-B2"),
             ship(symbol="T-4", role="EXCAVATOR", at="X1-T-EX"))
    names = context(fleet=fleet).names()
    assert evaluate("fleet.size", names) == 4
    assert evaluate("fleet.count(role='excavator')", names) == 3
    assert evaluate("fleet.count(role='HAULER')", names) == 0
    assert evaluate("fleet.at(role='EXCAVATOR')", names) == "X1-T-B2"
    assert evaluate("fleet.at(role='HAULER')", names) is None
    assert evaluate("fleet.count(status='docked')", names) == 4
    assert evaluate("fleet.at(role='EXCAVATOR', status='IN_ORBIT')", names) is None
    assert evaluate("fleet.ships[1].waypoint", names) == "X1-T-B2"


def test_only_playbooks_that_read_the_fleet_fetch_it() -> None:
    reads = load_playbook_text("name: g\nship: {role: COMMAND}\nsteps:\n"
                               "  - purchase_ship: SHIP_MINING_DRONE\n"
                               "    when: fleet.count(role='EXCAVATOR') < 3\n")
    assert needs(reads) == frozenset({"fleet"})
    other = load_playbook_text("name: g\nship: {role: COMMAND}\nsteps: [dock]\n")
    assert needs(other) == frozenset()


def test_nearest_from_headquarters_is_the_same_wherever_the_ship_is() -> None:
    from runner.playbook import resolve_waypoint

    selector = {"nearest": {"type": "ASTEROID", "from": "headquarters"}}
    found = {resolve_waypoint(selector, StepContext(ship=ship(at=where), system=small_system(),
                                                    agent=agent()))
             for where in ("X1-T-HQ", "X1-T-EX", "X1-T-B2")}
    assert len(found) == 1
    nearest_to_ship = {resolve_waypoint({"nearest": {"type": "ASTEROID"}},
                                        StepContext(ship=ship(at=where), system=small_system(),
                                                    agent=agent()))
                       for where in ("X1-T-HQ", "X1-T-B2")}
    assert len(nearest_to_ship) == 2  # without `from`, each ship its own nearest
    with pytest.raises(StepError, match="not in system"):
        resolve_waypoint({"nearest": {"type": "ASTEROID", "from": "X1-T-NOPE"}},
                         StepContext(ship=ship(), system=small_system(), agent=agent()))
