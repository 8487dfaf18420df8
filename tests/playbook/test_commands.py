"""Commands are pure values that round-trip through JSON and say whether they mutate."""

from __future__ import annotations

import json
from dataclasses import fields

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runner.domain import commands as c
from runner.domain.ship import FlightMode

EXAMPLES = [
    c.Orbit(), c.Dock(), c.SetFlightMode(FlightMode.DRIFT),
    c.Navigate("X1-T-B1", FlightMode.BURN, 100.5, 201, 50), c.Refuel(), c.Refuel(300, True),
    c.Jump("X1-U-I1", 412.5, 139, 1, 5000), c.Warp("X1-U-A1", FlightMode.CRUISE, 380.2, 381, 543),
    c.Extract(), c.Survey(), c.Purchase("FOOD", 10), c.Sell("IRON_ORE", 5),
    c.Jettison("ICE_WATER", 2), c.Deliver(None, "IRON_ORE", 3), c.Deliver("c-1", "GOLD", 1),
    c.NegotiateContract(), c.AcceptContract(), c.AcceptContract("c-2"), c.FulfillContract(),
    c.ScanMarket("X1-T-HQ"), c.Wait(12.5), c.Log("hi", "warning"),
    c.ExtractWithSurvey('{"signature": "S-1", "symbol": "X1-T-B1"}'), c.Siphon(),
    c.Transfer("IRON_ORE", 3, "T-3"), c.SupplyConstruction("FAB_MATS", 10, "X1-T-GATE"),
    c.PurchaseShip("SHIP_PROBE", "X1-T-HQ"), c.Refine("IRON"), c.Chart("X1-T-FAR"),
    c.Scan("waypoints"), c.InstallMount("MOUNT_SURVEYOR_II"), c.RemoveMount("MOUNT_SURVEYOR_II"),
    c.InstallModule("MODULE_CARGO_HOLD_I"), c.RemoveModule("MODULE_CARGO_HOLD_I"), c.Repair(),
    c.Scrap(), c.Transfer("IRON_ORE", 3), c.AwaitShip("X1-T-B1", 30, 600.0, role="HAULER"),
    c.AwaitShip("X1-T-B1", 5, 60.0, symbol="T-2"),
    c.WaitUntil("ship.cargo.units >= ship.cargo.capacity", 600.0),
]
READ_ONLY = {"ScanMarket", "Wait", "Log", "AwaitShip", "WaitUntil"}


def test_every_command_type_has_an_example() -> None:
    assert {type(x).__name__ for x in EXAMPLES} == set(c.COMMAND_TYPES)


@pytest.mark.parametrize("command", EXAMPLES, ids=repr)
def test_round_trip_through_json(command: c.Command) -> None:
    data = json.loads(json.dumps(c.command_to_dict(command)))
    assert c.command_from_dict(data) == command


@pytest.mark.parametrize("command", EXAMPLES, ids=repr)
def test_mutates_flag(command: c.Command) -> None:
    assert command.mutates is (type(command).__name__ not in READ_ONLY)
    assert "mutates" not in {f.name for f in fields(command)}


def test_requests() -> None:
    assert not c.is_request(c.Wait(1)) and not c.is_request(c.Log("x"))
    assert not c.is_request(c.AwaitShip("W", 1, 1.0)) and not c.is_request(c.WaitUntil("x", 1))
    assert c.is_request(c.Dock()) and c.is_request(c.ScanMarket("X"))


@pytest.mark.parametrize("data", [{}, {"type": "Teleport"}, {"type": 3},
                                  {"type": "Purchase", "symbol": "X"},
                                  {"type": "SetFlightMode", "mode": "WARP"}])
def test_bad_dicts_are_value_errors(data: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        c.command_from_dict(data)


@given(st.text(), st.integers(min_value=0, max_value=10**9), st.sampled_from(list(FlightMode)),
       st.floats(min_value=0, max_value=1e6, allow_nan=False))
def test_round_trip_property(symbol: str, units: int, mode: FlightMode, d: float) -> None:
    for command in (c.Sell(symbol, units), c.Navigate(symbol, mode, d, units, units),
                    c.Log(symbol), c.Deliver(symbol or None, symbol, units)):
        assert c.command_from_dict(json.loads(json.dumps(c.command_to_dict(command)))) == \
            command


def test_waiting_commands_say_what_they_wait_for() -> None:
    assert c.AwaitShip("X1-T-B1", 30, 600.0, role="hauler").describe() == \
        "wait for a HAULER ship at X1-T-B1 with room for 30 units (at most 10m)"
    assert c.AwaitShip("X1-T-B1", 5, 90.0, symbol="T-2").describe() == \
        "wait for T-2 at X1-T-B1 with room for 5 units (at most 90s)"
    assert c.WaitUntil("ship.cargo.units >= 40", 7200.0).describe() == \
        "wait until ship.cargo.units >= 40 (at most 2h)"
    assert c.Transfer("IRON_ORE", 3).describe() == "transfer 3 IRON_ORE to that ship"
