"""Server clock mapping and the before/after predicates for lost answers (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from runner.api import guard
from runner.api.clock import ServerClock
from runner.domain.contract import Contract, Delivery
from runner.domain.ship import Cargo, Cooldown, Fuel, Nav, NavStatus, Route, Ship

T0 = datetime(2025, 4, 9, 12, 0, 0, tzinfo=UTC)


def test_clock_is_a_lower_bound_from_date_headers() -> None:
    local = [100.0]
    clock = ServerClock(clock=lambda: local[0], margin=0.0)
    clock.observe({"date": "Wed, 09 Apr 2025 12:00:00 GMT"})
    local[0] = 100.4
    clock.observe({"date": "Wed, 09 Apr 2025 12:00:00 GMT"})  # older bound: ignored
    assert clock.now() == T0 + timedelta(seconds=0.4)
    assert clock.seconds_until(T0 + timedelta(seconds=10)) == pytest.approx(9.6)
    assert clock.seconds_until(T0 - timedelta(seconds=10)) == 0.0


def test_clock_with_simulator_speed() -> None:
    local = [0.0]
    clock = ServerClock(clock=lambda: local[0], margin=0.0)
    clock.observe({"date": "Wed, 09 Apr 2025 12:00:00 GMT", "x-sim-speed": "10"})
    assert clock.speed == 10
    assert clock.seconds_until(T0 + timedelta(seconds=100)) == pytest.approx(10.0)
    local[0] = 1.0  # one wall second = ten game seconds
    assert clock.now() == T0 + timedelta(seconds=10)
    assert clock.wall_seconds(70) == 7.0
    clock.observe({"date": "Wed, 09 Apr 2025 12:01:00 GMT"})  # the game clock jumped ahead
    assert clock.now() == T0 + timedelta(seconds=60)


def test_clock_ignores_garbage() -> None:
    clock = ServerClock()
    clock.observe({"date": "not a date", "x-sim-speed": "fast"})
    assert not clock.known and clock.speed == 1.0


def ship(*, fuel: int = 100, cargo: dict[str, int] | None = None,
         route: Route | None = None, status: NavStatus = NavStatus.IN_ORBIT,
         cooldown: Cooldown | None = None) -> Ship:
    inventory = cargo or {}
    return Ship("S-1", "COMMAND", Nav("X1-A", "X1-A-1", status, route=route),
                Fuel(fuel, 400), Cargo(40, sum(inventory.values()), inventory), 30,
                cooldown=cooldown)


def test_navigated_needs_a_new_departure_to_the_destination() -> None:
    old = Route("X1-A-0", "X1-A-1", T0, T0 + timedelta(minutes=1))
    new = Route("X1-A-1", "X1-A-2", T0 + timedelta(minutes=5), T0 + timedelta(minutes=6))
    before = ship(route=old)
    assert guard.navigated(before, ship(route=new, status=NavStatus.IN_TRANSIT), "X1-A-2")
    assert not guard.navigated(before, before, "X1-A-2")
    same_place_again = Route("X1-A-1", "X1-A-2", T0, T0)
    assert not guard.navigated(ship(route=same_place_again), ship(route=same_place_again),
                               "X1-A-2")


def test_cargo_fuel_and_status_predicates() -> None:
    before = ship(cargo={"IRON_ORE": 5})
    assert guard.cargo_gained(before, ship(cargo={"IRON_ORE": 10}), "IRON_ORE")
    assert not guard.cargo_gained(before, before, "IRON_ORE")
    assert guard.cargo_lost(before, ship(cargo={}), "IRON_ORE")
    assert not guard.cargo_lost(before, before, "IRON_ORE")
    assert guard.refueled(ship(fuel=10), ship(fuel=400))
    assert not guard.refueled(ship(fuel=10), ship(fuel=10))
    assert guard.reached_status(ship(status=NavStatus.DOCKED), NavStatus.DOCKED)


def test_cooldown_and_extraction_yield() -> None:
    old = Cooldown(70, 0, T0)
    fresh = Cooldown(70, 69, T0 + timedelta(minutes=5))
    assert guard.cooled_down_again(None, fresh) and guard.cooled_down_again(old, fresh)
    assert not guard.cooled_down_again(fresh, fresh)
    assert not guard.cooled_down_again(old, Cooldown(70, 0, None))
    got = guard.extraction_yield(ship(cargo={"ICE_WATER": 2}),
                                 ship(cargo={"ICE_WATER": 2, "IRON_ORE": 7}))
    assert (got.symbol, got.units) == ("IRON_ORE", 7)


def test_contract_predicates() -> None:
    contract = Contract("c1", "COSMIC", "PROCUREMENT", False, False, T0, 1, 2,
                        (Delivery("IRON_ORE", "X1-A-1", 50, 10),))
    more = replace(contract, accepted=True,
                   deliveries=(Delivery("IRON_ORE", "X1-A-1", 50, 20),))
    assert guard.delivered(contract, more, "IRON_ORE")
    assert not guard.delivered(more, more, "IRON_ORE")
    assert guard.accepted(more) and not guard.fulfilled(more)
    assert guard.new_contract(frozenset({"c1"}), [contract, replace(contract, id="c2")]) \
        == replace(contract, id="c2")
    assert guard.new_contract(frozenset({"c1"}), [contract]) is None
