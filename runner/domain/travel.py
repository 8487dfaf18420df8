"""The travel model: distance, fuel and flight time of one in-system hop, per flight mode.

Rules (``shared/docs/spacetraders-rules.md`` section 7): with ``d`` the Euclidean distance and
``rd = max(1, round(d))`` (orbitals share coordinates, so d = 0 is planned as 1):

- fuel = ``fuel_per_distance * rd + fuel_fixed`` (CRUISE rd, BURN 2·rd, DRIFT 1, STEALTH rd);
  a ship with fuel capacity 0 (probes) uses none;
- seconds = ``round(rd * multiplier / engine_speed + base_seconds)``.

``round`` is JavaScript's ``Math.round`` (halves up), because the game server is TypeScript.
The multipliers changed between server resets, so they are data (``TravelModel``), not code.
Times are computed in exact rational arithmetic, so a value landing on .5 rounds like the
server's (Python's ``round()`` would round it to even).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

from runner.domain.ship import FlightMode
from runner.domain.universe import Waypoint

FUEL_PER_MARKET_UNIT = 100
"""Ship fuel units in one market unit of FUEL (the market price is per market unit)."""


def js_round(x: float) -> int:
    """JavaScript ``Math.round``: the nearest integer, halves rounded up (2.5 -> 3, -2.5 -> -2)."""
    return math.floor(x + 0.5)


def distance(a: Waypoint, b: Waypoint) -> float:
    """Euclidean distance between two waypoints of one system."""
    return math.hypot(a.x - b.x, a.y - b.y)


def rounded_distance(d: float) -> int:
    """The distance the rules charge for: ``max(1, round(d))``, so orbital hops count 1."""
    return max(1, js_round(d))


def market_units(fuel: int) -> int:
    """Market units of FUEL billed for ``fuel`` ship units (whole units, rounded up)."""
    return -(-fuel // FUEL_PER_MARKET_UNIT)


@dataclass(frozen=True)
class ModeRule:
    """Fuel and time of one flight mode.

    ``multiplier`` is seconds per rounded distance unit at engine speed 1; fuel is
    ``fuel_per_distance * rd + fuel_fixed`` ship units.
    """

    mode: FlightMode
    multiplier: float
    fuel_per_distance: int
    fuel_fixed: int = 0

    def fuel(self, rd: int) -> int:
        """Fuel used over rounded distance ``rd`` by a ship that uses fuel."""
        return self.fuel_per_distance * rd + self.fuel_fixed


DEFAULT_RULES: tuple[ModeRule, ...] = (
    ModeRule(FlightMode.CRUISE, 25.0, 1),
    ModeRule(FlightMode.BURN, 12.5, 2),
    ModeRule(FlightMode.DRIFT, 250.0, 0, 1),
    ModeRule(FlightMode.STEALTH, 30.0, 1),
)
"""The 2024-2025 navigate rules (wiki values; checked on a 2025-04 live BURN flight)."""


@dataclass(frozen=True)
class TravelModel:
    """Fuel and flight time per mode; hashable so routing can cache tables per model."""

    rules: tuple[ModeRule, ...] = DEFAULT_RULES
    base_seconds: float = 15.0
    # Exact rationals of each multiplier and of the base, for server-identical rounding.
    _exact: dict[FlightMode, tuple[int, int]] = field(
        init=False, repr=False, compare=False, hash=False
    )
    _base: tuple[int, int] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        modes = [r.mode for r in self.rules]
        if len(set(modes)) != len(modes):
            raise ValueError(f"travel model lists a flight mode twice: {modes}")
        for r in self.rules:
            if r.multiplier <= 0 or r.fuel_per_distance < 0 or r.fuel_fixed < 0:
                raise ValueError(f"travel model rule for {r.mode} is not positive: {r}")
        exact = {r.mode: Fraction(r.multiplier).as_integer_ratio() for r in self.rules}
        object.__setattr__(self, "_exact", exact)
        object.__setattr__(self, "_base", Fraction(self.base_seconds).as_integer_ratio())

    @property
    def modes(self) -> tuple[FlightMode, ...]:
        """The flight modes this model knows, in table order."""
        return tuple(r.mode for r in self.rules)

    def rule(self, mode: FlightMode) -> ModeRule:
        """The rule of ``mode``; KeyError when the model does not know it."""
        for r in self.rules:
            if r.mode == mode:
                return r
        raise KeyError(f"travel model has no rule for {mode}")

    def with_multipliers(self, multipliers: dict[FlightMode, float]) -> TravelModel:
        """A copy with some time multipliers replaced (e.g. calibrated from navigate replies)."""
        rules = tuple(
            ModeRule(r.mode, multipliers.get(r.mode, r.multiplier), r.fuel_per_distance,
                     r.fuel_fixed)
            for r in self.rules
        )
        return TravelModel(rules, self.base_seconds)

    def fuel(self, mode: FlightMode, d: float, capacity: int) -> int:
        """Fuel a hop of distance ``d`` uses; 0 for ships with fuel capacity 0 (probes)."""
        if capacity == 0:
            return 0
        return self.rule(mode).fuel(rounded_distance(d))

    def seconds(self, mode: FlightMode, d: float, speed: int) -> int:
        """Flight time in seconds of a hop of distance ``d`` at engine ``speed``."""
        return self.seconds_rd(mode, rounded_distance(d), speed)

    def seconds_rd(self, mode: FlightMode, rd: int, speed: int) -> int:
        """Flight time for an already rounded distance: ``round(rd*m/speed + base)`` exactly."""
        if speed <= 0:
            raise ValueError(f"engine speed must be positive, got {speed}")
        mn, md = self._exact[mode]
        bn, bd = self._base
        # floor(rd*mn/(md*speed) + bn/bd + 1/2) over one common integer denominator.
        den = 2 * md * speed * bd
        num = 2 * rd * mn * bd + 2 * bn * md * speed + md * speed * bd
        return num // den


DEFAULT_TRAVEL_MODEL = TravelModel()


def hop_fuel(mode: FlightMode, d: float, capacity: int,
             model: TravelModel = DEFAULT_TRAVEL_MODEL) -> int:
    """Fuel of one hop under ``model`` (default: the current rules)."""
    return model.fuel(mode, d, capacity)


def hop_seconds(mode: FlightMode, d: float, speed: int,
                model: TravelModel = DEFAULT_TRAVEL_MODEL) -> int:
    """Seconds of one hop under ``model`` (default: the current rules)."""
    return model.seconds(mode, d, speed)
