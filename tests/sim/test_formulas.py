"""Fuel and travel time follow the rules file's formulas, including a live record."""

from __future__ import annotations

from typing import Any

import pytest

from runner.sim.config import DEFAULT_NAV_MULTIPLIERS as MULT
from runner.sim.rules import fuel_cost, js_round, travel_seconds
from tests.sim.helpers import Game


def test_js_round_rounds_halves_up() -> None:
    assert [js_round(x) for x in (52.5, 53.5, 0.5, 1.49, -0.5)] == [53, 54, 1, 1, 0]


@pytest.mark.parametrize(("mode", "d", "speed", "fuel", "seconds"), [
    ("BURN", 117.004, 36, 234, 56),   # live record, 2025-04-09
    ("BURN", 102.825, 36, 206, 51),   # live record (fuel), 2025-05
    ("CRUISE", 117.004, 36, 117, 96),
    ("CRUISE", 0.0, 36, 1, 16),        # orbitals: minimum 1 fuel, d counts as 1
    ("CRUISE", 52.5, 15, 53, 103),     # JS rounding: 52.5 -> 53, not 52
    ("DRIFT", 300.0, 9, 1, 8348),
    ("BURN", 0.4, 9, 2, 16),
    ("STEALTH", 40.2, 15, 40, 95),
])
def test_fuel_and_time_table(mode: str, d: float, speed: int, fuel: int, seconds: int) -> None:
    assert fuel_cost(mode, d, 400) == fuel
    assert travel_seconds(mode, d, speed, MULT) == seconds


@pytest.mark.parametrize("mode", ["CRUISE", "BURN", "DRIFT", "STEALTH"])
def test_ships_without_tanks_use_no_fuel(mode: str) -> None:
    assert fuel_cost(mode, 250.0, 0) == 0


def test_navigate_reproduces_the_live_record_end_to_end(game: Game) -> None:
    """Two waypoints 117.004 apart, BURN, engine speed 36: 234 fuel and 56 s."""
    here = game.universe.waypoints[game.hq]
    target = game.waypoints(lambda w: w.symbol != game.hq)[0]
    # Place a waypoint exactly as in the record: dx=117, dy=1 -> d = 117.0043.
    target.x, target.y = here.x + 117, here.y + 1
    game.call("PATCH", f"/my/ships/{game.frigate}/nav", json={"flightMode": "BURN"})
    game.ship_call(game.frigate, "orbit")
    response = game.ship_call(game.frigate, "navigate", json={"waypointSymbol": target.symbol})
    data = response.json()["data"]
    assert data["fuel"]["consumed"]["amount"] == 234
    assert data["fuel"]["current"] == 400 - 234
    assert Game._seconds_to_arrival(response) == pytest.approx(56, abs=0.01)


@pytest.mark.parametrize("sim_app", [{"nav_multipliers": {**MULT, "CRUISE": 10.0}}],
                         indirect=True)
def test_multiplier_table_is_configurable(sim_app: Any, spec: Any) -> None:
    game = Game(sim_app, spec)
    here = game.universe.waypoints[game.hq]
    target = game.waypoints(lambda w: w.symbol != game.hq)[0]
    target.x, target.y = here.x + 90, here.y
    game.ship_call(game.frigate, "orbit")
    response = game.ship_call(game.frigate, "navigate", json={"waypointSymbol": target.symbol})
    assert Game._seconds_to_arrival(response) == pytest.approx(js_round(90 * 10 / 36 + 15))
