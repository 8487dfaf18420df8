"""Ship and waypoint selectors."""

from __future__ import annotations

import pytest

from runner.playbook import StepError, resolve_ship, resolve_waypoint
from tests.playbook.helpers import ctx
from tests.playbook.universe import ship

FLEET = [ship(symbol="T-2", role="SATELLITE"), ship(symbol="T-1"),
         ship(symbol="T-3", role="EXCAVATOR"), ship(symbol="T-4", role="EXCAVATOR")]


@pytest.mark.parametrize(("selector", "symbol"), [
    ("T-3", "T-3"), ({"symbol": "T-2"}, "T-2"), ({"role": "COMMAND"}, "T-1"),
    ({"role": "satellite"}, "T-2"), ({"role": "EXCAVATOR"}, "T-3"), ({"index": 1}, "T-1"),
    ({"index": 4}, "T-4"),
])
def test_ship_selectors(selector: object, symbol: str) -> None:
    assert resolve_ship(selector, FLEET).symbol == symbol


@pytest.mark.parametrize(("selector", "message"), [
    ("T-9", "no ship matches symbol T-9"), ({"role": "HAULER"}, "roles: COMMAND, EXCAVATOR"),
    ({"index": 5}, "the agent has 4 ships"), ({"index": 0}, "has 4 ships"),
    ({"rank": 1}, "unknown ship selector"), ({"role": "A", "index": 1}, "bad ship selector"),
])
def test_ship_selector_errors(selector: object, message: str) -> None:
    with pytest.raises(StepError, match=message):
        resolve_ship(selector, FLEET)


@pytest.mark.parametrize(("selector", "at", "symbol"), [
    ("X1-T-FS", "X1-T-HQ", "X1-T-FS"),
    ("headquarters", "X1-T-FS", "X1-T-HQ"),
    ({"nearest": {"type": "ASTEROID"}}, "X1-T-HQ", "X1-T-B1"),
    ({"nearest": {"type": "ASTEROID"}}, "X1-T-B1", "X1-T-B1"),
    ({"nearest": {"type": "ASTEROID", "not_here": True}}, "X1-T-B1", "X1-T-B2"),
    ({"nearest": {"traits": ["MARKETPLACE"], "sells": "FUEL"}}, "X1-T-FAR", "X1-T-FS"),
    ({"nearest": {"traits": ["MARKETPLACE"], "sells": "FUEL", "not_here": True}}, "X1-T-HQ",
     "X1-T-EX"),
    ({"nearest": {"buys": "IRON_ORE"}}, "X1-T-B1", "X1-T-EX"),
    ({"nearest": {"buys": "IRON_ORE"}}, "X1-T-B2", "X1-T-HQ"),
    ({"nearest": {"sells": "FOOD"}}, "X1-T-FAR", "X1-T-HQ"),
    ({"nearest": {"type": "moon"}}, "X1-T-HQ", "X1-T-M"),
])
def test_waypoint_selectors_from_the_ship_position(selector: object, at: str,
                                                   symbol: str) -> None:
    assert resolve_waypoint(selector, ctx(ship(at=at))) == symbol


def test_nearest_ties_break_by_symbol() -> None:
    # HQ and M share coordinates: from HQ the nearest of either is HQ (distance 0, first).
    assert resolve_waypoint({"nearest": {"not_here": True}}, ctx()) == "X1-T-M"


@pytest.mark.parametrize(("selector", "message"), [
    ({"nearest": {"type": "GAS_GIANT"}}, "no waypoint in X1-T matches type=GAS_GIANT"),
    ({"nearest": {"buys": "UNOBTAINIUM"}}, "matches buys=UNOBTAINIUM"),
    ("X1-T-NOPE", "is not in system X1-T"),
    (["X1-T-HQ"], "bad waypoint"),
])
def test_waypoint_selector_errors(selector: object, message: str) -> None:
    with pytest.raises(StepError, match=message):
        resolve_waypoint(selector, ctx())


def test_headquarters_needs_the_agent() -> None:
    from dataclasses import replace

    with pytest.raises(StepError, match="needs the agent"):
        resolve_waypoint("headquarters", replace(ctx(), agent=None))
