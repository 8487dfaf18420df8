"""The travel model: JS rounding, orbitals, probes, multipliers as data."""

from __future__ import annotations

import pytest

from runner.domain.ship import FlightMode
from runner.domain.travel import (
    DEFAULT_TRAVEL_MODEL,
    ModeRule,
    TravelModel,
    distance,
    hop_fuel,
    hop_seconds,
    js_round,
    market_units,
    rounded_distance,
)
from runner.domain.universe import Waypoint

CRUISE, BURN, DRIFT, STEALTH = (FlightMode.CRUISE, FlightMode.BURN, FlightMode.DRIFT,
                                FlightMode.STEALTH)


def wp(x: int, y: int) -> Waypoint:
    return Waypoint(f"X1-T-{x}-{y}", "X1-T", "PLANET", x, y)


@pytest.mark.parametrize(("x", "expected"), [(2.5, 3), (52.5, 53), (-2.5, -2), (1.4999, 1),
                                             (16.5, 17), (0.5, 1)])
def test_js_round_rounds_halves_up(x: float, expected: int) -> None:
    assert js_round(x) == expected


def test_live_burn_flight_from_2025_04_matches() -> None:
    # FloWi snapshot: frigate speed 36, BURN, d = 117.004 -> 234 fuel, 56 s.
    assert hop_fuel(BURN, 117.004, 400) == 234
    assert hop_seconds(BURN, 117.004, 36) == 56


@pytest.mark.parametrize(("mode", "fuel", "seconds"), [
    (CRUISE, 10, 25), (BURN, 20, 20), (DRIFT, 1, 115), (STEALTH, 10, 27)])
def test_table_values(mode: FlightMode, fuel: int, seconds: int) -> None:
    # d = 10, speed 25: CRUISE 10*25/25+15, BURN 10*12.5/25+15 = 20, DRIFT 100+15, STEALTH 27
    assert hop_fuel(mode, 10.0, 400) == fuel
    assert hop_seconds(mode, 10.0, 25) == seconds


def test_exact_half_second_rounds_up_like_the_server() -> None:
    # rd 3 at speed 25 in BURN: 3*12.5/25 + 15 = 16.5 -> 17 (Python's round() gives 16)
    assert hop_seconds(BURN, 3.0, 25) == 17
    assert round(3 * 12.5 / 25 + 15) == 16


def test_orbitals_count_as_distance_one() -> None:
    a, b = wp(5, 5), wp(5, 5)
    assert distance(a, b) == 0.0 and rounded_distance(0.0) == 1
    assert hop_fuel(CRUISE, 0.0, 400) == 1 and hop_fuel(BURN, 0.0, 400) == 2
    assert hop_seconds(CRUISE, 0.0, 30) == js_round(25 / 30 + 15)


def test_probes_use_no_fuel() -> None:
    for mode in (CRUISE, BURN, DRIFT, STEALTH):
        assert hop_fuel(mode, 500.0, 0) == 0


def test_distance_rounds_before_fuel() -> None:
    assert rounded_distance(10.49) == 10 and rounded_distance(10.5) == 11
    assert hop_fuel(BURN, 10.49, 100) == 20


def test_multipliers_are_data() -> None:
    old = TravelModel((ModeRule(CRUISE, 10.0, 1), ModeRule(BURN, 5.0, 2),
                       ModeRule(DRIFT, 100.0, 0, 1)))
    assert old.seconds(CRUISE, 30.0, 10) == 45
    calibrated = DEFAULT_TRAVEL_MODEL.with_multipliers({BURN: 5.0})
    assert calibrated.seconds(BURN, 117.004, 36) == js_round(117 * 5 / 36 + 15)
    assert calibrated.seconds(CRUISE, 10.0, 25) == 25
    assert hash(calibrated) != hash(DEFAULT_TRAVEL_MODEL)
    with pytest.raises(KeyError):
        old.rule(STEALTH)
    with pytest.raises(ValueError, match="twice"):
        TravelModel((ModeRule(CRUISE, 1.0, 1), ModeRule(CRUISE, 2.0, 1)))


def test_market_units_round_up() -> None:
    assert [market_units(f) for f in (0, 1, 100, 101, 400)] == [0, 1, 1, 2, 4]
