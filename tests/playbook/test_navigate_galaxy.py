"""``navigate`` across systems: jumps in the plan, cooldowns, antimatter, margins, errors."""

from __future__ import annotations

from dataclasses import replace

import pytest

from runner.domain import commands as c
from runner.domain.galaxy import Atlas, Galaxy, GalaxySystem, jump_cooldown_s
from runner.domain.ship import FlightMode
from runner.domain.snapshot import ShipSnapshot
from runner.domain.universe import System
from runner.playbook import PlaybookError, compile_playbook, load_playbook_text
from runner.playbook.plan_view import margins, plan_text
from runner.playbook.state_file import build_ship, build_system

A = build_system({"symbol": "X1-A", "waypoints": [
    {"symbol": "X1-A-HQ", "type": "PLANET", "x": 0, "y": 0, "market": {"exchange": ["FUEL"]}},
    {"symbol": "X1-A-I1", "type": "JUMP_GATE", "x": 300, "y": 0,
     "market": {"exchange": ["FUEL", "ANTIMATTER"]}}]})
B = build_system({"symbol": "X1-B", "waypoints": [
    {"symbol": "X1-B-I1", "type": "JUMP_GATE", "x": 0, "y": 0,
     "market": {"exchange": ["FUEL", "ANTIMATTER"]}}]})
C = build_system({"symbol": "X1-C", "waypoints": [
    {"symbol": "X1-C-I1", "type": "JUMP_GATE", "x": 0, "y": 0,
     "market": {"exchange": ["FUEL", "ANTIMATTER"]}},
    {"symbol": "X1-C-B1", "type": "ASTEROID", "x": 500, "y": 0}]})


def galaxy(c_built: bool = True) -> Galaxy:
    return Galaxy.of([
        GalaxySystem("X1-A", 0, 0, "X1-A-I1", True, ("X1-B-I1",), antimatter_price=4000),
        GalaxySystem("X1-B", 1000, 0, "X1-B-I1", True, ("X1-A-I1", "X1-C-I1")),
        GalaxySystem("X1-C", 2000, 0, "X1-C-I1", c_built, ("X1-B-I1",)),
    ])


def atlas(c_built: bool = True) -> Atlas:
    systems: dict[str, System] = {"X1-A": A, "X1-B": B, "X1-C": C}
    return Atlas(galaxy(c_built), systems)


SHIP = build_ship({"symbol": "T-1", "at": "X1-A-HQ", "status": "DOCKED", "fuel": [400, 400],
                   "speed": 36})


def plan(step: str, the_atlas: Atlas | None = None):  # type: ignore[no-untyped-def]
    book = load_playbook_text(f"ship: T-1\nsteps:\n  - {step}\n  - dock\n")
    return compile_playbook(book, A, SHIP, ships=[SHIP], atlas=the_atlas or atlas())


def test_two_jumps_then_a_leg_with_the_last_cooldown_free() -> None:
    result = plan("navigate: X1-C-B1")
    kinds = [type(x).__name__ for x in result.trace]
    assert kinds.count("Jump") == 2
    jumps = [x for x in result.trace if isinstance(x, c.Jump)]
    assert [j.destination for j in jumps] == ["X1-B-I1", "X1-C-I1"]
    assert [j.cooldown_s for j in jumps] == [jump_cooldown_s(1000)] * 2 == [315, 315]
    assert [j.antimatter_cost for j in jumps] == [4000, 5000]  # A's price seen; B's default
    legs = result.legs
    assert [leg.mode for leg in legs if leg.mode == "JUMP"] == ["JUMP", "JUMP"]
    flights = sum(leg.duration_s for leg in legs if leg.mode != "JUMP")
    # The second jump waits the first cooldown; the last cooldown runs while flying on.
    assert result.total_duration_s == flights + 315
    assert result.fuel_credits >= 9000
    assert result.trace[-1] == c.Dock()
    assert legs[-1].destination == "X1-C-B1"


def test_the_plan_names_the_fuel_margin_and_reserve_0_drops_it() -> None:
    kept = plan("navigate: X1-C-B1")
    assert margins(kept) and "at least 1 fuel" in margins(kept)[0]
    assert "margin: safety margin: lands at X1-C-B1" in plan_text(kept)
    free = plan("navigate: {to: X1-C-B1, reserve: 0}")
    assert margins(free) == []
    assert free.total_duration_s <= kept.total_duration_s


def test_a_margin_that_costs_time_says_how_much() -> None:
    # A 500-fuel tank and B1 500 away: CRUISE lands with 0 fuel; keeping 1 means DRIFT.
    full = build_ship({"symbol": "T-1", "at": "X1-C-I1", "status": "IN_ORBIT",
                       "fuel": [500, 500], "speed": 36})
    book = load_playbook_text("ship: T-1\nsteps:\n  - navigate: X1-C-B1\n")
    kept = compile_playbook(book, C, full, ships=[full], atlas=atlas())
    book0 = load_playbook_text("ship: T-1\nsteps:\n  - navigate: {to: X1-C-B1, reserve: 0}\n")
    free = compile_playbook(book0, C, full, ships=[full], atlas=atlas())
    extra = kept.total_duration_s - free.total_duration_s
    assert extra > 0
    assert [leg.mode for leg in free.legs] == ["CRUISE"]
    assert f"+{extra:.0f} s" in margins(kept)[0]


def test_an_unbuilt_gate_is_a_located_error() -> None:
    with pytest.raises(PlaybookError) as err:
        plan("navigate: X1-C-B1", atlas(c_built=False))
    assert "under construction" in str(err.value) or "not a built gate" in str(err.value)


def test_a_system_not_loaded_is_a_located_error() -> None:
    with pytest.raises(PlaybookError, match="X1-Z is not loaded"):
        plan("navigate: X1-Z-A1")


def test_jump_rules() -> None:
    jump = c.Jump("X1-B-I1", 1000.0, 315, 1, 4000)
    at_gate = replace(SHIP, nav=replace(SHIP.nav, waypoint="X1-A-I1"))
    moved = jump.predict(at_gate)
    assert moved.nav.system == "X1-B" and moved.nav.waypoint == "X1-B-I1"
    assert jump.needs is c.NavNeed.ORBIT and jump.needs_reactor
    assert jump.took_effect(ShipSnapshot.of(at_gate), moved) is True
    assert jump.took_effect(ShipSnapshot.of(at_gate), at_gate) is False
    assert jump.already_true(moved)
    warp = c.Warp("X1-B-I1", FlightMode.CRUISE, 1000.0, 1000, 1400)
    assert warp.predict(at_gate).fuel.current == 0
    assert warp.predict(at_gate).nav.system == "X1-B"


def test_a_nearest_selector_in_another_system() -> None:
    result = plan("navigate: {nearest: {type: ASTEROID, system: X1-C}}")
    assert result.legs[-1].destination == "X1-C-B1"
    with pytest.raises(PlaybookError, match="no waypoint in X1-B matches type=ASTEROID"):
        plan("navigate: {nearest: {type: ASTEROID, system: X1-B}}")
