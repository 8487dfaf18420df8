"""The runtime's universe shares market knowledge through the store: what one universe (one
runner process) observes, another on the same database hands out; the newest observation
wins; nothing changed means the very same system (routing's caches hold)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from runner.runtime.adapters import Universe
from runner.state.store import Store
from tests.state.test_cache import MARKET, SYSTEM, T0


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    one = Store.open(str(tmp_path / "state.db"))
    two = Store.open(str(tmp_path / "state.db"))
    unpriced = replace(SYSTEM["X1-A1-B2"], market=replace(MARKET, trade_goods={},
                                                          fetched_at=None))
    one.cache_system(type(SYSTEM).of("X1-A1", [unpriced, SYSTEM["X1-A1-B3"],
                                               SYSTEM["X1-A1-C9"]], type="RED_STAR"))
    yield one, two
    one.close()
    two.close()


def test_what_one_process_observes_another_hands_out(stores: tuple[Store, Store]) -> None:
    one, two = stores
    here, there = Universe(one, None), Universe(two, None)
    before = asyncio.run(there.system("X1-A1"))
    assert before["X1-A1-B2"].market is not None
    assert before["X1-A1-B2"].market.trade_goods == {}
    assert asyncio.run(there.system("X1-A1")) is before  # nothing changed: same object
    here.observe(MARKET)
    after = asyncio.run(there.system("X1-A1"))
    assert after is not before and after["X1-A1-B2"].market == MARKET
    assert asyncio.run(there.system("X1-A1")) is after
    cheaper = {"FUEL": replace(MARKET.trade_goods["FUEL"], purchase_price=1)}
    older = replace(MARKET, trade_goods=cheaper, fetched_at=T0 - timedelta(hours=1))
    there.observe(older)  # read earlier, arriving later: ignored
    there.observe(replace(MARKET, trade_goods={}, fetched_at=None))  # no prices: ignored
    assert asyncio.run(there.system("X1-A1"))["X1-A1-B2"].market == MARKET


def test_a_database_away_keeps_the_last_view(stores: tuple[Store, Store],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    one, _ = stores
    universe = Universe(one, None)
    universe.observe(MARKET)
    view = asyncio.run(universe.system("X1-A1"))

    def away(*_: object) -> object:
        raise ConnectionError("connection refused")

    monkeypatch.setattr(one, "market_times", away)
    monkeypatch.setattr(one, "cache_market", away)
    assert asyncio.run(universe.system("X1-A1")) is view
    universe.observe(replace(MARKET, fetched_at=T0 + timedelta(hours=1)))  # dropped, no error
