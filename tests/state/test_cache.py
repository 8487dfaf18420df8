"""Caches of systems, markets and ships round-trip the domain values with their fetch times."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from runner.domain.ship import Cargo, Cooldown, FlightMode, Fuel, Nav, NavStatus, Route, Ship
from runner.domain.universe import Market, System, TradeGood, Waypoint
from runner.state.store import Store
from tests.state.conftest import Clock

T0 = datetime(2026, 2, 3, 4, 5, 6, 789000, tzinfo=UTC)

MARKET = Market("X1-A1-B2", imports=frozenset({"IRON_ORE"}), exports=frozenset({"FUEL"}),
                exchange=frozenset(),
                trade_goods={"FUEL": TradeGood("FUEL", "EXPORT", 100, 72, 68, "HIGH", "STRONG")},
                fetched_at=T0)
SYSTEM = System.of("X1-A1", [
    Waypoint("X1-A1-B2", "X1-A1", "PLANET", 10, -4, frozenset({"MARKETPLACE"}),
             orbitals=("X1-A1-B3",), faction="COSMIC", market=MARKET),
    Waypoint("X1-A1-B3", "X1-A1", "MOON", 10, -4, orbits="X1-A1-B2"),
    Waypoint("X1-A1-C9", "X1-A1", "ASTEROID", -50, 22, under_construction=True),
], type="RED_STAR", x=3, y=-7)
SHIP = Ship(
    "AGENT-1", "COMMAND",
    Nav("X1-A1", "X1-A1-C9", NavStatus.IN_TRANSIT, FlightMode.DRIFT,
        Route("X1-A1-B2", "X1-A1-C9", T0, T0 + timedelta(seconds=95))),
    Fuel(12, 400), Cargo(40, 15, {"IRON_ORE": 10, "ICE_WATER": 5}), 30,
    frame="FRAME_FRIGATE", mounts=frozenset({"MOUNT_MINING_LASER_I"}),
    cooldown=Cooldown(60, 12, T0 + timedelta(seconds=12)))


def test_system_round_trip_keeps_waypoint_order_and_markets(store: Store, clock: Clock) -> None:
    assert store.cached_system("X1-A1") is None
    store.cache_system(SYSTEM)
    found = store.cached_system("X1-A1")
    assert found is not None
    system, fetched_at = found
    assert fetched_at == clock.now
    assert (system.symbol, system.type, system.x, system.y) == ("X1-A1", "RED_STAR", 3, -7)
    assert list(system.waypoints) == ["X1-A1-B2", "X1-A1-B3", "X1-A1-C9"]
    assert list(system) == list(SYSTEM)  # Waypoint equality: every field, nested market too


def test_one_waypoint_from_the_cache(store: Store, clock: Clock) -> None:
    store.cache_system(SYSTEM)
    assert store.cached_waypoint("X1-A1-B2") == (SYSTEM["X1-A1-B2"], clock.now)
    assert store.cached_waypoint("X1-A1-ZZ") is None


def test_system_is_replaced_not_merged(store: Store, clock: Clock) -> None:
    store.cache_system(SYSTEM)
    clock.advance(60)
    smaller = System.of("X1-A1", [SYSTEM["X1-A1-B3"]], type="RED_STAR")
    store.cache_system(smaller)
    found = store.cached_system("X1-A1")
    assert found is not None
    assert list(found[0].waypoints) == ["X1-A1-B3"] and found[1] == clock.now
    assert store.cached_waypoint("X1-A1-B2") is None


def test_market_round_trip_uses_its_own_fetch_time(store: Store) -> None:
    store.cache_market(MARKET)
    found = store.cached_market("X1-A1-B2")
    assert found == (MARKET, T0)
    assert store.cached_market("X1-ZZ-Z9") is None


def test_ship_round_trip(store: Store, clock: Clock) -> None:
    store.cache_ship(SHIP)
    assert store.cached_ship("AGENT-1") == (SHIP, clock.now)
    moved = SHIP.with_fuel(Fuel(400, 400))
    store.cache_ship(moved, fetched_at=T0)
    assert store.cached_ship("AGENT-1") == (moved, T0)


def test_concurrent_cache_writes_do_not_collide(db_url: str) -> None:
    """Many containers fetch the same market and system at once: last write wins, no error."""
    stores = [Store.open(db_url) for _ in range(6)]
    barrier = threading.Barrier(len(stores))
    errors: list[BaseException] = []

    def write(s: Store) -> None:
        try:
            for _ in range(5):
                barrier.wait()
                s.cache_market(MARKET)
                s.cache_system(SYSTEM)
                s.cache_ship(SHIP)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    found = stores[0].cached_system("X1-A1")
    assert found is not None and list(found[0]) == list(SYSTEM)
    for s in stores:
        s.close()


def test_forget_universe_empties_every_cache(store: Store) -> None:
    """A server reset makes a new galaxy: nothing cached of the old one is used again."""
    store.cache_system(SYSTEM)
    store.cache_market(MARKET)
    store.cache_ship(SHIP)
    store.forget_universe()
    assert store.cached_system("X1-A1") is None
    assert store.cached_waypoint("X1-A1-B2") is None
    assert store.cached_market("X1-A1-B2") is None
    assert store.cached_ship("AGENT-1") is None
    assert store.cached_galaxy() is None


def test_the_newest_market_observation_wins_whatever_the_order(store: Store) -> None:
    newer = replace(MARKET, trade_goods={"FUEL": TradeGood("FUEL", "EXPORT", 100, 80, 76)},
                    fetched_at=T0 + timedelta(minutes=5))
    assert store.cache_market(newer)
    assert not store.cache_market(MARKET)  # read earlier, stored later: ignored
    assert store.cached_market("X1-A1-B2") == (newer, newer.fetched_at)
    later = replace(MARKET, fetched_at=T0 + timedelta(minutes=9))
    assert store.cache_market(later)
    assert store.cached_market("X1-A1-B2") == (later, later.fetched_at)


def test_a_market_read_without_prices_never_hides_prices(store: Store, clock: Clock) -> None:
    bare = replace(MARKET, trade_goods={}, fetched_at=None)
    assert store.cache_market(bare)  # nothing known yet: the listing is worth keeping
    assert store.cache_market(MARKET)  # prices replace a bare listing whatever its stamp
    clock.advance(3600)
    assert not store.cache_market(bare)
    assert store.cached_market("X1-A1-B2") == (MARKET, T0)


def test_every_store_on_the_database_shares_the_markets(db_url: str) -> None:
    """Two processes' stores: what one observes, the other reads (times and markets)."""
    one, two = Store.open(db_url), Store.open(db_url)
    try:
        one.cache_market(MARKET)
        assert two.market_times(["X1-A1-B2", "X1-ZZ-Z9"]) == {"X1-A1-B2": T0}
        assert two.cached_markets(["X1-A1-B2"]) == {"X1-A1-B2": (MARKET, T0)}
        assert two.market_times([]) == {} and two.cached_markets([]) == {}
    finally:
        one.close()
        two.close()
