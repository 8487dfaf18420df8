"""``plan_galaxy_route``: which layer it takes and what each route keeps to."""

from __future__ import annotations

from dataclasses import replace

import pytest

from runner.domain.galaxy import WARP_MODEL, Galaxy, GalaxySystem
from runner.domain.ship import FlightMode, Ship
from runner.domain.universe import FUEL, Market, System, Waypoint
from runner.routing import NoRouteError
from runner.routing.galaxy import plan_galaxy_route
from tests.routing.universe import make_ship

FUEL_MARKET = Market("", exchange=frozenset({FUEL}))


def system(symbol: str, *points: tuple[str, int, int, bool]) -> System:
    return System.of(symbol, [
        Waypoint(f"{symbol}-{name}", symbol, "JUMP_GATE" if name.startswith("I") else "PLANET",
                 x, y, frozenset({"MARKETPLACE"}) if fuel else frozenset(),
                 market=replace(FUEL_MARKET, symbol=f"{symbol}-{name}") if fuel else None)
        for name, x, y, fuel in points])


SYSTEMS = {
    "X1-A": system("X1-A", ("HQ", 0, 0, True), ("I1", 200, 0, False)),
    "X1-B": system("X1-B", ("I1", 0, 0, True), ("A1", 50, 0, True)),
    "X1-C": system("X1-C", ("I1", 0, 0, True), ("D1", 300, 0, False)),
}


def galaxy(built: bool = True) -> Galaxy:
    return Galaxy.of([
        GalaxySystem("X1-A", 0, 0, "X1-A-I1", built, ("X1-B-I1",)),
        GalaxySystem("X1-B", 300, 0, "X1-B-I1", built, ("X1-A-I1", "X1-C-I1"), "X1-B-A1"),
        GalaxySystem("X1-C", 600, 0, "X1-C-I1", built, ("X1-B-I1",)),
    ])


def warper(fuel: int = 400) -> Ship:
    ship = make_ship(400, 30, at="X1-A-HQ")
    return replace(ship, modules=frozenset({"MODULE_WARP_DRIVE_I"}),
                   fuel=replace(ship.fuel, current=fuel))


def route(ship: Ship, goal: str, built: bool = True, keep: int = 0):  # type: ignore[no-untyped-def]
    return plan_galaxy_route(galaxy(built), SYSTEMS.get, ship, "X1-A-HQ", goal,
                             ship.fuel.current, min_fuel_left=keep)


def test_gates_when_built() -> None:
    found = route(make_ship(400, 30, at="X1-A-HQ"), "X1-C-D1")
    assert found.method == "jump"
    assert [j.destination for j in found.jumps] == ["X1-B-I1", "X1-C-I1"]
    assert found.jumps[0].wait_s == 0 and found.jumps[1].wait_s == found.jumps[0].cooldown_s
    assert found.total_duration_s == (found.to_gate.total_duration_s + found.jumps[0].cooldown_s
                                      + found.arrival.total_duration_s)


def test_unbuilt_gates_without_a_warp_drive_say_why() -> None:
    with pytest.raises(NoRouteError, match="under construction"):
        route(make_ship(400, 30, at="X1-A-HQ"), "X1-C-D1", built=False)


def test_warp_when_the_gates_are_unbuilt_and_every_warp_fits_the_tank() -> None:
    found = route(warper(), "X1-C-D1", built=False)
    assert found.method == "warp" and found.warps is not None
    fuel = 400
    for hop in found.warps.hops:
        fuel = min(400, fuel + hop.refuel_units * 100)
        assert hop.fuel_used <= fuel
        assert hop.fuel_used == WARP_MODEL.fuel(hop.mode, hop.distance, 400)
        assert hop.duration_s == WARP_MODEL.seconds(hop.mode, hop.distance, 30)
        fuel -= hop.fuel_used
    assert found.warps.hops[-1].destination == "X1-C-D1"


def test_a_warp_short_of_fuel_refuels_at_a_fuel_stop() -> None:
    # 600 straight needs 600 CRUISE fuel (tank 400): via X1-B's fuel stop two CRUISE warps
    # of 300 with a refuel beat one DRIFT of 600.
    found = route(warper(), "X1-C-D1", built=False)
    assert [h.destination for h in found.warps.hops] == ["X1-B-A1", "X1-C-D1"]
    assert [h.mode for h in found.warps.hops] == [FlightMode.CRUISE, FlightMode.CRUISE]
    assert found.warps.hops[1].refuel_units > 0


def test_the_reserve_is_kept_at_the_goal() -> None:
    found = route(make_ship(400, 30, at="X1-A-HQ"), "X1-C-D1", keep=1)
    assert found.fuel_left >= 1
