"""Each command's own rules (one home per command, issue 14): did it take effect after a lost
answer or a crash, would it change nothing, what a plan predicts. The client's recovery and
the executor's resume both ask these same rules."""

from __future__ import annotations

import typing
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from runner.domain import commands as c
from runner.domain.contract import Contract, Delivery
from runner.domain.ship import Cargo, Cooldown, FlightMode, Fuel, Nav, NavStatus, Route, Ship
from runner.domain.snapshot import ShipSnapshot

T0 = datetime(2025, 4, 9, 12, 0, 0, tzinfo=UTC)


def ship(*, fuel: int = 100, cargo: dict[str, int] | None = None,
         route: Route | None = None, status: NavStatus = NavStatus.IN_ORBIT,
         cooldown: Cooldown | None = None, waypoint: str = "X1-A-1") -> Ship:
    inventory = cargo or {}
    return Ship("S-1", "COMMAND", Nav("X1-A", waypoint, status, route=route),
                Fuel(fuel, 400), Cargo(40, sum(inventory.values()), inventory), 30,
                cooldown=cooldown)


def snap(before: Ship) -> ShipSnapshot:
    """As the journal stores it: through JSON-safe dicts."""
    return ShipSnapshot.from_dict(ShipSnapshot.of(before).to_dict())


def go(destination: str) -> c.Navigate:
    return c.Navigate(destination, FlightMode.CRUISE, 10.0, 10, 30)


def test_navigate_took_effect_needs_a_new_departure_to_the_destination() -> None:
    old = Route("X1-A-0", "X1-A-1", T0, T0 + timedelta(minutes=1))
    new = Route("X1-A-1", "X1-A-2", T0 + timedelta(minutes=5), T0 + timedelta(minutes=6))
    before = ship(route=old)
    assert go("X1-A-2").took_effect(snap(before), ship(route=new, status=NavStatus.IN_TRANSIT))
    assert not go("X1-A-2").took_effect(snap(before), before)
    same_place_again = Route("X1-A-1", "X1-A-2", T0, T0)
    assert not go("X1-A-2").took_effect(snap(ship(route=same_place_again)),
                                        ship(route=same_place_again))
    assert go("X1-A-2").took_effect(snap(ship()), ship(waypoint="X1-A-2"))  # arrived already


def test_cargo_fuel_and_status_rules() -> None:
    before = ship(cargo={"IRON_ORE": 5})
    assert c.Purchase("IRON_ORE", 5).took_effect(snap(before), ship(cargo={"IRON_ORE": 10}))
    assert not c.Purchase("IRON_ORE", 5).took_effect(snap(before), before)
    assert c.Sell("IRON_ORE", 5).took_effect(snap(before), ship(cargo={}))
    assert not c.Sell("IRON_ORE", 5).took_effect(snap(before), before)
    assert c.Jettison("IRON_ORE", 2).took_effect(snap(before), ship(cargo={"IRON_ORE": 3}))
    assert c.Refuel().took_effect(snap(ship(fuel=10)), ship(fuel=400))
    assert not c.Refuel().took_effect(snap(ship(fuel=10)), ship(fuel=10))
    assert c.Dock().took_effect(snap(before), ship(status=NavStatus.DOCKED))
    assert c.Orbit().took_effect(snap(before), ship())
    assert c.AcceptContract("K").took_effect(snap(before), before) is None


def test_cooldown_and_extraction_yield() -> None:
    old = Cooldown(70, 0, T0)
    fresh = Cooldown(70, 69, T0 + timedelta(minutes=5))
    assert c.Extract().took_effect(snap(ship()), ship(cooldown=fresh))
    assert c.Survey().took_effect(snap(ship(cooldown=old)), ship(cooldown=fresh))
    assert not c.Survey().took_effect(snap(ship(cooldown=fresh)), ship(cooldown=fresh))
    assert not c.Survey().took_effect(snap(ship(cooldown=old)), ship(cooldown=Cooldown(70, 0)))
    got = c.Extract.yield_between(snap(ship(cargo={"ICE_WATER": 2})),
                                  ship(cargo={"ICE_WATER": 2, "IRON_ORE": 7}))
    assert got == ("IRON_ORE", 7)


def test_contract_rules() -> None:
    contract = Contract("c1", "COSMIC", "PROCUREMENT", False, False, T0, 1, 2,
                        (Delivery("IRON_ORE", "X1-A-1", 50, 10),))
    more = replace(contract, accepted=True,
                   deliveries=(Delivery("IRON_ORE", "X1-A-1", 50, 20),))
    deliver = c.Deliver("c1", "IRON_ORE", 10)
    assert deliver.contract_took_effect(contract, more)
    assert not deliver.contract_took_effect(more, more)
    assert c.AcceptContract("c1").contract_took_effect(None, more)
    assert not c.FulfillContract("c1").contract_took_effect(None, more)
    assert c.NegotiateContract.new_contract(
        frozenset({"c1"}), [contract, replace(contract, id="c2")]) == replace(contract, id="c2")
    assert c.NegotiateContract.new_contract(frozenset({"c1"}), [contract]) is None


def test_already_true_and_needs() -> None:
    docked = ship(status=NavStatus.DOCKED)
    assert c.Dock().already_true(docked) and not c.Orbit().already_true(docked)
    assert c.Refuel().already_true(ship(fuel=400)) and not c.Refuel(5).already_true(ship(fuel=400))
    assert go("X1-A-1").already_true(ship()) and not go("X1-A-2").already_true(ship())
    assert c.Navigate.needs is c.NavNeed.ORBIT and c.Sell.needs is c.NavNeed.DOCKED
    assert c.Extract.needs_reactor and not c.Purchase.needs_reactor
    assert c.Orbit.idempotent and not c.Purchase.idempotent


def test_every_command_type_is_registered_and_round_trips() -> None:
    members = set(typing.get_args(c.Command))
    assert members == set(c.COMMAND_TYPES.values())
    sample = [go("X1-A-2"), c.Purchase("IRON", 3), c.Refuel(5, True), c.Deliver(None, "X", 1),
              c.Wait(2.5), c.Log("hi", "warning"), c.SetFlightMode(FlightMode.DRIFT)]
    for command in sample:
        assert c.command_from_dict(c.command_to_dict(command)) == command
    assert not c.is_request(c.Wait(1)) and c.is_request(c.Orbit())


@pytest.mark.parametrize(("command", "words"), [
    (go("X1-A-2"), "navigate to X1-A-2 (CRUISE) (credits 7)"),
    (c.Purchase("IRON", 3), "purchase 3 IRON (credits 7)"),
    (c.Sell("IRON", 3), "sell 3 IRON (credits 7)"),
    (c.Jettison("IRON", 3), "jettison 3 IRON"),
    (c.Refuel(), "refuel (credits 7)"),
    (c.NegotiateContract(), "negotiate contract (credits 7)"),
])
def test_each_command_describes_itself(command: c.Command, words: str) -> None:
    assert command.describe(7) == words
